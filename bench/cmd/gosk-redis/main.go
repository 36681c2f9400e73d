// Command gosk-redis runs the comparison's workload on gosk's Redis driver
// (database index 10, flushed first) and prints one JSON line (see package
// harness).
package main

import (
	"context"

	"github.com/gosk/gosk/bench/gosksubject"
	"github.com/gosk/gosk/bench/harness"
	"github.com/gosk/gosk/drivers/redis"
)

// redisDB is this program's database index, flushed before each phase.
const redisDB = 10

func main() {
	harness.Main(harness.Info{Library: "gosk", Backend: "redis", NativeBatch: true, Notes: gosksubject.PrefetchNotes},
		func(ctx context.Context, env *harness.Env) (harness.Store, error) {
			_, url, err := harness.FreshRedis(ctx, env, redisDB)
			if err != nil {
				return nil, err
			}
			drv, err := redis.Open(ctx, url, nil)
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
