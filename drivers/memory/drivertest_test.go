package memory_test

import (
	"testing"
	"time"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivers/memory"
	"github.com/gosk/gosk/drivertest"
)

// TestDriver runs the conformance suite on the memory driver.
func TestDriver(t *testing.T) {
	drivertest.Run(t, drivertest.Harness{
		New: func(testing.TB) driver.Driver { return memory.New(nil) },
		NewClocked: func(_ testing.TB, clock func() time.Time) driver.Driver {
			return memory.New(&memory.Options{Clock: clock})
		},
		Tx: func(_ testing.TB, d driver.Driver) (driver.Creator, func() error, func() error) {
			m := d.(*memory.Driver)
			tx := m.Begin()
			return m.Tx(tx), tx.Commit, tx.Rollback
		},
		Again: func(_ testing.TB, d driver.Driver) driver.Driver { return secondHandle{d.(*memory.Driver)} },
	})
}

// secondHandle is a second handle on a memory driver, whose store lives in
// it: its Close leaves the store open for the first handle, as a second
// driver on a shared store would.
type secondHandle struct {
	*memory.Driver
}

func (secondHandle) Close() error { return nil }

// BenchmarkDriver runs the shared driver benchmarks on the memory driver.
func BenchmarkDriver(b *testing.B) {
	drivertest.RunBenchmarks(b, drivertest.Harness{
		New: func(testing.TB) driver.Driver { return memory.New(nil) },
	})
}
