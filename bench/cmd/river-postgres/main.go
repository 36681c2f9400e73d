// Command river-postgres runs the comparison's workload on River with
// PostgreSQL (riverpgxv5, a fresh database bench_river) and prints one JSON
// line (see package harness).
package main

import (
	"context"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/gosk/gosk/bench/harness"
	"github.com/gosk/gosk/bench/riversubject"
)

func main() {
	harness.Main(harness.Info{Library: "river", Backend: "postgres", NativeBatch: true, Notes: riversubject.Notes},
		func(ctx context.Context, env *harness.Env) (harness.Store, error) {
			url, err := harness.FreshPostgres(ctx, env, "bench_river")
			if err != nil {
				return nil, err
			}
			pool, err := pgxpool.New(ctx, url)
			if err != nil {
				return nil, err
			}
			completed := func(ctx context.Context) (int64, error) {
				var n int64
				err := pool.QueryRow(ctx, "SELECT count(*) FROM river_job WHERE state = 'completed'").Scan(&n)
				return n, err
			}
			return riversubject.New(ctx, riverpgxv5.New(pool), completed, func() error { pool.Close(); return nil })
		})
}
