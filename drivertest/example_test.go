package drivertest_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivers/memory"
	"github.com/gosk/gosk/drivertest"
)

// plainDriver stands for a driver of your own. Here it wraps the memory
// driver but exposes only the required driver.Driver methods, so it has
// none of the optional capabilities and must exempt them.
type plainDriver struct {
	driver.Driver
}

// plainHarness is what a driver's conformance test hands to drivertest.
func plainHarness() drivertest.Harness {
	return drivertest.Harness{
		// A fresh, empty, isolated driver per subtest. A driver on a
		// server would create its own schema or key prefix here and
		// drop it with t.Cleanup; the suite closes the driver.
		New: func(t testing.TB) driver.Driver {
			return plainDriver{memory.New(nil)}
		},
		// A driver that takes a clock lets the suite move time instead
		// of waiting for it. Leave NewClocked nil for a store that keeps
		// its own clock.
		NewClocked: func(t testing.TB, clock func() time.Time) driver.Driver {
			return plainDriver{memory.New(&memory.Options{Clock: clock})}
		},
		// Each capability the driver lacks, with the reason. Without
		// these entries the capability's subtests fail.
		Exempt: map[drivertest.Capability]string{
			drivertest.CapNotify:   "plainDriver has no change feed; workers poll",
			drivertest.CapAdmin:    "plainDriver is administered with the store's own tools",
			drivertest.CapTx:       "plainDriver's store has no transactions",
			drivertest.CapDue:      "plainDriver's workers poll each queue",
			drivertest.CapSchedule: "plainDriver has no periodic schedules",
			drivertest.CapQueues:   "plainDriver's queues are named in the application's configuration",
			drivertest.CapImport:   "plainDriver's tasks are never moved from another store",
			drivertest.CapAgain:    "plainDriver's store lives in the driver and cannot be opened twice",
		},
	}
}

// A driver's conformance test is one call of Run in a test function:
//
//	func TestConformance(t *testing.T) {
//		drivertest.Run(t, plainHarness())
//	}
//
// and its benchmarks one call of RunBenchmarks:
//
//	func BenchmarkDriver(b *testing.B) {
//		drivertest.RunBenchmarks(b, plainHarness())
//	}
//
// TestPlainDriver in this package's tests runs exactly that.
func Example() {
	h := plainHarness()
	for _, c := range []drivertest.Capability{drivertest.CapNotify, drivertest.CapAdmin, drivertest.CapTx, drivertest.CapDue, drivertest.CapSchedule, drivertest.CapQueues, drivertest.CapImport, drivertest.CapAgain} {
		fmt.Printf("%s: skipped, %s\n", c, h.Exempt[c])
	}
	// Output:
	// notify: skipped, plainDriver has no change feed; workers poll
	// admin: skipped, plainDriver is administered with the store's own tools
	// tx: skipped, plainDriver's store has no transactions
	// due: skipped, plainDriver's workers poll each queue
	// schedule: skipped, plainDriver has no periodic schedules
	// queues: skipped, plainDriver's queues are named in the application's configuration
	// import: skipped, plainDriver's tasks are never moved from another store
	// again: skipped, plainDriver's store lives in the driver and cannot be opened twice
}
