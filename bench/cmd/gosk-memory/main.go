// Command gosk-memory runs the comparison's workload on gosk's memory
// driver and prints one JSON line (see package harness).
package main

import (
	"context"

	"github.com/gosk/gosk/bench/gosksubject"
	"github.com/gosk/gosk/bench/harness"
	"github.com/gosk/gosk/drivers/memory"
)

func main() {
	harness.Main(harness.Info{Library: "gosk", Backend: "memory", NativeBatch: true},
		func(context.Context, *harness.Env) (harness.Store, error) {
			return gosksubject.New(memory.New(nil))
		})
}
