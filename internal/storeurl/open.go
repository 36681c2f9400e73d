package storeurl

import (
	"context"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivers/bbolt"
	"github.com/gosk/gosk/drivers/memory"
	"github.com/gosk/gosk/drivers/postgres"
	"github.com/gosk/gosk/drivers/redis"
	"github.com/gosk/gosk/drivers/sqlite"
)

func openSQLite(ctx context.Context, u *url.URL, p *params) (driver.Driver, int, error) {
	path, err := filePath(u)
	if err != nil {
		return nil, 0, err
	}
	o := &sqlite.Options{
		TablePrefix:   p.take("table_prefix"),
		BusyTimeout:   p.duration("busy_timeout"),
		Sync:          sqlite.Sync(strings.ToUpper(p.take("sync"))),
		WatchInterval: p.duration("watch_interval"),
		MaxPayloadLen: p.integer("max_payload_len"),
	}
	// Parameters starting with "_" are modernc.org/sqlite's own.
	pass := url.Values{}
	for k, v := range p.q {
		if strings.HasPrefix(k, "_") {
			pass[k] = v
			delete(p.q, k)
		}
	}
	if err := p.done(); err != nil {
		return nil, 0, err
	}
	dsn := path
	if len(pass) > 0 {
		dsn += "?" + pass.Encode()
	}
	d, err := sqlite.Open(ctx, dsn, o)
	return d, sqlite.LatestVersion(), err
}

// commitModes are the values of bbolt's commit parameter.
var commitModes = map[string]bbolt.CommitMode{
	"grouped":    bbolt.CommitGrouped,
	"each":       bbolt.CommitEach,
	"bolt_batch": bbolt.CommitBoltBatch,
}

func openBbolt(ctx context.Context, u *url.URL, p *params) (driver.Driver, int, error) {
	path, err := filePath(u)
	if err != nil {
		return nil, 0, err
	}
	o := &bbolt.Options{
		Bucket:        p.take("bucket"),
		LockTimeout:   p.duration("lock_timeout"),
		MaxPayloadLen: p.integer("max_payload_len"),
	}
	if v := p.take("commit"); v != "" {
		mode, ok := commitModes[v]
		if !ok {
			p.fail("commit", v, "grouped, each or bolt_batch")
		}
		o.Commit = mode
	}
	if v := p.take("file_mode"); v != "" {
		mode, err := strconv.ParseUint(v, 8, 32)
		if err != nil || mode > 0o777 {
			p.fail("file_mode", v, "an octal permission such as 0600")
		}
		o.FileMode = os.FileMode(mode)
	}
	if err := p.done(); err != nil {
		return nil, 0, err
	}
	d, err := bbolt.Open(ctx, path, o)
	return d, bbolt.SchemaVersion, err
}

func openPostgres(ctx context.Context, u *url.URL, p *params) (driver.Driver, int, error) {
	o := &postgres.Options{
		Schema:        p.take("schema"),
		MaxPayloadLen: p.integer("max_payload_len"),
		Lazy:          p.boolean("lazy"),
		ReconnectMin:  p.duration("reconnect_min"),
		ReconnectMax:  p.duration("reconnect_max"),
	}
	if v := p.take("max_conns"); v != "" {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil {
			p.fail("max_conns", v, "an integer")
		}
		o.MaxConns = int32(n)
	}
	if p.err != nil {
		return nil, 0, p.err
	}
	rest := *u
	rest.RawQuery = p.q.Encode()
	d, err := postgres.Open(ctx, rest.String(), o)
	return d, postgres.LatestVersion(), err
}

func openRedis(ctx context.Context, u *url.URL, p *params) (driver.Driver, int, error) {
	o := &redis.Options{
		Prefix:        p.take("prefix"),
		Retention:     p.duration("retention"),
		MaxPayloadLen: p.integer("max_payload_len"),
		Lazy:          p.boolean("lazy"),
	}
	if p.err != nil {
		return nil, 0, p.err
	}
	rest := *u
	rest.RawQuery = p.q.Encode()
	d, err := redis.Open(ctx, rest.String(), o)
	return d, redis.LatestVersion(), err
}

func openMemory(u *url.URL, p *params) (driver.Driver, error) {
	if u.Opaque != "" || u.Host != "" || u.Path != "" {
		return nil, invalid("memory: takes no path; want memory: or memory:?max_payload_len=N")
	}
	o := &memory.Options{MaxPayloadLen: p.integer("max_payload_len")}
	if err := p.done(); err != nil {
		return nil, err
	}
	return memory.New(o), nil
}
