package harness

import (
	"bufio"
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	goredis "github.com/redis/go-redis/v9"
)

// FreshPostgres drops the database name on env's server, if it exists,
// creates it anew and returns a URL that connects to it. Each program uses
// a database of its own, so that no run sees another's tables.
func FreshPostgres(ctx context.Context, env *Env, name string) (string, error) {
	conn, err := pgx.Connect(ctx, env.PostgresURL)
	if err != nil {
		return "", fmt.Errorf("postgres: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	ident := pgx.Identifier{name}.Sanitize()
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)"); err != nil {
		return "", fmt.Errorf("postgres: drop %s: %w", name, err)
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+ident); err != nil {
		return "", fmt.Errorf("postgres: create %s: %w", name, err)
	}
	u, err := url.Parse(env.PostgresURL)
	if err != nil {
		return "", fmt.Errorf("postgres URL: %w", err)
	}
	u.Path = "/" + name
	return u.String(), nil
}

// FreshSQLite removes the SQLite database name in env's directory, with its
// WAL and shared-memory files, and returns its path.
func FreshSQLite(env *Env, name string) (string, error) {
	path := filepath.Join(env.Dir, name+".db")
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		if err := os.Remove(path + suffix); err != nil && !os.IsNotExist(err) {
			return "", err
		}
	}
	return path, nil
}

// SQLiteDSN is the modernc.org/sqlite DSN that the peers on SQLite open
// path with: WAL, synchronous FULL (as gosk's SQLite driver sets by
// default) and a 10 s busy timeout.
func SQLiteDSN(path string) string {
	return "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)&_txlock=immediate"
}

// FreshRedis flushes database index db of env's Redis server and returns
// the options and the URL that connect to it. Each program has an index of
// its own.
func FreshRedis(ctx context.Context, env *Env, db int) (*goredis.Options, string, error) {
	u, err := url.Parse(env.RedisURL)
	if err != nil {
		return nil, "", fmt.Errorf("redis URL: %w", err)
	}
	u.Path = "/" + strconv.Itoa(db)
	opts, err := goredis.ParseURL(u.String())
	if err != nil {
		return nil, "", fmt.Errorf("redis URL: %w", err)
	}
	c := goredis.NewClient(opts)
	defer c.Close()
	if err := c.FlushDB(ctx).Err(); err != nil {
		return nil, "", fmt.Errorf("redis: flush database %d: %w", db, err)
	}
	return opts, u.String(), nil
}

// peakRSSMiB reads the process's peak resident set size (VmHWM) from
// /proc/self/status; zero where there is no /proc.
func peakRSSMiB() (float64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, nil //nolint:nilerr // no /proc (not Linux): report none
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "VmHWM:")
		if !ok {
			continue
		}
		kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(line), " kB"), 64)
		if err != nil {
			return 0, fmt.Errorf("VmHWM %q: %w", line, err)
		}
		return kb / 1024, nil
	}
	return 0, sc.Err()
}
