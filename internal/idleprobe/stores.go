package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	goredis "github.com/redis/go-redis/v9"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivers/memory"
	goskpostgres "github.com/gosk/gosk/drivers/postgres"
	goskredis "github.com/gosk/gosk/drivers/redis"
	gosksqlite "github.com/gosk/gosk/drivers/sqlite"
)

// store is one opened store for one measurement.
type store struct {
	drv driver.Driver
	// wire counts what went over the wire to the server (SQL statements,
	// Redis commands), or is nil for an embedded store.
	wire *atomic.Int64
	// server, if set, reads a server-side count of commands (Redis INFO
	// commandstats), shared with every other client of the server.
	server func(ctx context.Context) (int64, error)
	// close closes the driver and removes what the measurement created.
	close func(ctx context.Context)
}

// namespace returns a fresh schema or key prefix name.
func namespace() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "gosk_idle_" + hex.EncodeToString(b)
}

// open opens a fresh store of kind.
func open(ctx context.Context, kind string, cfg config) (*store, error) {
	switch kind {
	case "memory":
		d := memory.New(nil)
		return &store{drv: d, close: func(context.Context) { _ = d.Close() }}, nil
	case "sqlite":
		dir, err := os.MkdirTemp("", "gosk-idle-")
		if err != nil {
			return nil, err
		}
		d, err := gosksqlite.Open(ctx, filepath.Join(dir, "idle.db"), nil)
		if err != nil {
			_ = os.RemoveAll(dir)
			return nil, err
		}
		return &store{drv: d, close: func(context.Context) { _ = d.Close(); _ = os.RemoveAll(dir) }}, nil
	case "postgres":
		return openPostgres(ctx, cfg.postgres)
	case "redis":
		return openRedis(ctx, cfg.redis)
	}
	return nil, fmt.Errorf("unknown store %q", kind)
}

// statementCounter is a pgx tracer that counts statements, batched or not.
type statementCounter struct{ n *atomic.Int64 }

func (s statementCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	s.n.Add(1)
	return ctx
}
func (statementCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
func (statementCounter) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return ctx
}
func (s statementCounter) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {
	s.n.Add(1)
}
func (statementCounter) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

func openPostgres(ctx context.Context, url string) (*store, error) {
	if url == "" {
		return nil, fmt.Errorf("no URL: set -postgres or GOSK_TEST_POSTGRES_URL")
	}
	pc, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	n := &atomic.Int64{}
	pc.ConnConfig.Tracer = statementCounter{n: n}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, err
	}
	schema := namespace()
	d, err := goskpostgres.New(ctx, pool, &goskpostgres.Options{Schema: schema})
	if err != nil {
		pool.Close()
		return nil, err
	}
	return &store{drv: d, wire: n, close: func(ctx context.Context) {
		_ = d.Close()
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if _, err := pool.Exec(cctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			fmt.Fprintln(os.Stderr, "idleprobe: drop schema:", err)
		}
		pool.Close()
	}}, nil
}

// commandCounter is a go-redis hook that counts commands, pipelined or
// not.
type commandCounter struct{ n *atomic.Int64 }

func (commandCounter) DialHook(next goredis.DialHook) goredis.DialHook { return next }
func (c commandCounter) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		c.n.Add(1)
		return next(ctx, cmd)
	}
}
func (c commandCounter) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		c.n.Add(int64(len(cmds)))
		return next(ctx, cmds)
	}
}

func openRedis(ctx context.Context, url string) (*store, error) {
	if url == "" {
		return nil, fmt.Errorf("no URL: set -redis or GOSK_TEST_REDIS_URL")
	}
	opt, err := goredis.ParseURL(url)
	if err != nil {
		return nil, err
	}
	client := goredis.NewClient(opt)
	n := &atomic.Int64{}
	client.AddHook(commandCounter{n: n})
	prefix := namespace() + ":"
	d, err := goskredis.New(ctx, client, &goskredis.Options{Prefix: prefix})
	if err != nil {
		_ = client.Close()
		return nil, err
	}
	// A second client reads the server's counts, so as not to count
	// itself in n.
	admin := goredis.NewClient(opt)
	return &store{drv: d, wire: n, server: func(ctx context.Context) (int64, error) { return serverCommands(ctx, admin) }, close: func(ctx context.Context) {
		_ = d.Close()
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		iter := admin.Scan(cctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(cctx) {
			admin.Del(cctx, iter.Val())
		}
		_ = admin.Close()
		_ = client.Close()
	}}, nil
}
