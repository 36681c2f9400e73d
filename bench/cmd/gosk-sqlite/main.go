// Command gosk-sqlite runs the comparison's workload on gosk's SQLite
// driver (a fresh file, WAL, synchronous FULL: the driver's defaults) and
// prints one JSON line (see package harness).
package main

import (
	"context"

	"github.com/gosk/gosk/bench/gosksubject"
	"github.com/gosk/gosk/bench/harness"
	"github.com/gosk/gosk/drivers/sqlite"
)

func main() {
	harness.Main(harness.Info{Library: "gosk", Backend: "sqlite", NativeBatch: true, Notes: gosksubject.PrefetchNotes},
		func(ctx context.Context, env *harness.Env) (harness.Store, error) {
			path, err := harness.FreshSQLite(env, "gosk")
			if err != nil {
				return nil, err
			}
			drv, err := sqlite.Open(ctx, path, nil)
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
