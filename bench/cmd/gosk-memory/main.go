// Command gosk-memory runs the comparison's workload on gosk's memory
// driver (the worker prefetches as on every other gosk program) and
// prints one JSON line (see package harness).
package main

import (
	"context"

	"github.com/gosk/gosk/bench/gosksubject"
	"github.com/gosk/gosk/bench/harness"
	"github.com/gosk/gosk/drivers/memory"
)

func main() {
	harness.Main(harness.Info{Library: "gosk", Backend: "memory", NativeBatch: true, Notes: gosksubject.PrefetchNotes},
		func(context.Context, *harness.Env) (harness.Store, error) {
			s, err := gosksubject.New(memory.New(nil))
			if err != nil {
				return nil, err
			}
			s.Prefetch = gosksubject.Prefetch
			return s, nil
		})
}
