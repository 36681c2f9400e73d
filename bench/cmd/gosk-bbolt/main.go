// Command gosk-bbolt runs the comparison's workload on gosk's bbolt driver
// (a fresh file, the driver's defaults; the worker prefetches as on
// SQLite, which it is compared with) and prints one JSON line (see
// package harness).
package main

import (
	"context"
	"os"
	"path/filepath"

	"github.com/gosk/gosk/bench/gosksubject"
	"github.com/gosk/gosk/bench/harness"
	"github.com/gosk/gosk/drivers/bbolt"
)

func main() {
	harness.Main(harness.Info{Library: "gosk", Backend: "bbolt", NativeBatch: true, Notes: gosksubject.PrefetchNotes},
		func(ctx context.Context, env *harness.Env) (harness.Store, error) {
			path := filepath.Join(env.Dir, "gosk.bbolt")
			if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
				return nil, err
			}
			drv, err := bbolt.Open(ctx, path, nil)
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
