// Command gosk-postgres runs the comparison's workload on gosk's
// PostgreSQL driver (a fresh database, bench_gosk) and prints one JSON line
// (see package harness).
package main

import (
	"context"

	"github.com/gosk/gosk/bench/gosksubject"
	"github.com/gosk/gosk/bench/harness"
	"github.com/gosk/gosk/drivers/postgres"
)

func main() {
	harness.Main(harness.Info{Library: "gosk", Backend: "postgres", NativeBatch: true, Notes: gosksubject.PrefetchNotes},
		func(ctx context.Context, env *harness.Env) (harness.Store, error) {
			url, err := harness.FreshPostgres(ctx, env, "bench_gosk")
			if err != nil {
				return nil, err
			}
			drv, err := postgres.Open(ctx, url, nil)
			if err != nil {
				return nil, err
			}
			s, err := gosksubject.New(drv)
			if err != nil {
				return nil, err
			}
			s.Prefetch = gosksubject.Prefetch
			return s, nil
		})
}
