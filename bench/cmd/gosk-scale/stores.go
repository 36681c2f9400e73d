package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	goredis "github.com/redis/go-redis/v9"

	"github.com/gosk/gosk/bench/harness"
	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivers/bbolt"
	"github.com/gosk/gosk/drivers/memory"
	"github.com/gosk/gosk/drivers/postgres"
	"github.com/gosk/gosk/drivers/redis"
	"github.com/gosk/gosk/drivers/sqlite"
)

// The stores, in the report's order. postgres-av is PostgreSQL on the
// throwaway server that this program starts with autovacuum on; postgres
// is the shared server of .ci/services (autovacuum off there).
var allStores = []string{"memory", "sqlite", "bbolt", "postgres", "postgres-av", "redis"}

// Each store keeps one copy per variant: empty (made afresh for every
// measurement), pending and final (made once by setup and kept across the
// rounds), payload (afresh) and size (afresh).
var redisIndex = map[string]int{"empty": 1, "pending": 2, "final": 3, "payload": 4, "size": 5}

// target says where each store lives; the orchestrator passes it on to
// every child process by flag.
type target struct {
	kind     string
	pgURL    string // the shared server
	pgAVURL  string // the throwaway server with autovacuum on
	redisURL string // the throwaway Redis server
	dir      string // SQLite and bbolt files
}

func (t target) path(variant, ext string) string {
	return filepath.Join(t.dir, "scale-"+variant+"."+ext)
}

func (t target) postgresServer() string {
	if t.kind == "postgres-av" {
		return t.pgAVURL
	}
	return t.pgURL
}

// postgresURL returns the URL of the variant's database, dropped and
// created anew when fresh.
func (t target) postgresURL(ctx context.Context, variant string, fresh bool) (string, error) {
	name := "bench_scale_" + variant
	if fresh {
		return harness.FreshPostgres(ctx, &harness.Env{PostgresURL: t.postgresServer()}, name)
	}
	u, err := url.Parse(t.postgresServer())
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	return u.String(), nil
}

func (t target) redisURLOf(variant string) (string, error) {
	u, err := url.Parse(t.redisURL)
	if err != nil {
		return "", err
	}
	u.Path = "/" + strconv.Itoa(redisIndex[variant])
	return u.String(), nil
}

// open opens the variant's store, emptied first when fresh. Memory is
// always new: it lives only in this process.
func (t target) open(ctx context.Context, variant string, fresh bool) (driver.Driver, error) {
	switch t.kind {
	case "memory":
		return memory.New(nil), nil
	case "sqlite":
		path := t.path(variant, "db")
		if fresh {
			for _, s := range []string{"", "-wal", "-shm"} {
				if err := os.Remove(path + s); err != nil && !os.IsNotExist(err) {
					return nil, err
				}
			}
		}
		return sqlite.Open(ctx, path, nil)
	case "bbolt":
		path := t.path(variant, "bbolt")
		if fresh {
			if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
				return nil, err
			}
		}
		return bbolt.Open(ctx, path, nil)
	case "postgres", "postgres-av":
		u, err := t.postgresURL(ctx, variant, fresh)
		if err != nil {
			return nil, err
		}
		return postgres.Open(ctx, u, nil)
	case "redis":
		u, err := t.redisURLOf(variant)
		if err != nil {
			return nil, err
		}
		if fresh {
			opts, err := goredis.ParseURL(u)
			if err != nil {
				return nil, err
			}
			c := goredis.NewClient(opts)
			err = c.FlushDB(ctx).Err()
			_ = c.Close()
			if err != nil {
				return nil, fmt.Errorf("redis: flush: %w", err)
			}
		}
		return redis.Open(ctx, u, nil)
	}
	return nil, fmt.Errorf("unknown store %q (want one of %s)", t.kind, strings.Join(allStores, ", "))
}

// size returns what the variant's store holds, in bytes, as the report
// counts it: the heap after a GC (memory), the database file after a WAL
// checkpoint, plus what the WAL still holds (SQLite), the file (bbolt),
// pg_total_relation_size of gosk's tables (PostgreSQL), INFO used_memory
// (Redis, the whole throwaway server).
func (t target) size(ctx context.Context, variant string) (int64, error) {
	switch t.kind {
	case "memory":
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return int64(ms.HeapAlloc), nil
	case "sqlite":
		path := t.path(variant, "db")
		db, err := sql.Open("sqlite", path)
		if err != nil {
			return 0, err
		}
		_, err = db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
		_ = db.Close()
		if err != nil {
			return 0, fmt.Errorf("sqlite checkpoint: %w", err)
		}
		return fileSize(path) + fileSize(path+"-wal"), nil
	case "bbolt":
		return fileSize(t.path(variant, "bbolt")), nil
	case "postgres", "postgres-av":
		u, err := t.postgresURL(ctx, variant, false)
		if err != nil {
			return 0, err
		}
		conn, err := pgx.Connect(ctx, u)
		if err != nil {
			return 0, err
		}
		defer conn.Close(context.WithoutCancel(ctx))
		var n int64
		err = conn.QueryRow(ctx, `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint
			FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
			WHERE s.nspname = $1 AND c.relkind = 'r'`, postgres.DefaultSchema).Scan(&n)
		return n, err
	case "redis":
		opts, err := goredis.ParseURL(t.redisURL)
		if err != nil {
			return 0, err
		}
		c := goredis.NewClient(opts)
		defer c.Close()
		info, err := c.Info(ctx, "memory").Result()
		if err != nil {
			return 0, err
		}
		for line := range strings.SplitSeq(info, "\n") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory:"); ok {
				return strconv.ParseInt(v, 10, 64)
			}
		}
		return 0, fmt.Errorf("redis INFO memory has no used_memory")
	}
	return 0, fmt.Errorf("unknown store %q", t.kind)
}

// vacuum runs a plain VACUUM on gosk's task table (PostgreSQL only), to
// see whether the files shrink then.
func (t target) vacuum(ctx context.Context, variant string) error {
	u, err := t.postgresURL(ctx, variant, false)
	if err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, "VACUUM "+pgx.Identifier{postgres.DefaultSchema, "gosk_tasks"}.Sanitize())
	return err
}

// deadTuples reads the task table's live and dead row counts and how many
// times autovacuum has run on it (PostgreSQL only).
func (t target) deadTuples(ctx context.Context, variant string) (live, dead, autovacuums int64, err error) {
	u, err := t.postgresURL(ctx, variant, false)
	if err != nil {
		return 0, 0, 0, err
	}
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		return 0, 0, 0, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	err = conn.QueryRow(ctx, `SELECT n_live_tup, n_dead_tup, autovacuum_count FROM pg_stat_user_tables
		WHERE schemaname = $1 AND relname = 'gosk_tasks'`, postgres.DefaultSchema).Scan(&live, &dead, &autovacuums)
	return live, dead, autovacuums, err
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}
