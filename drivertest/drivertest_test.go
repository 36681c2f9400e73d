package drivertest_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivers/memory"
	"github.com/gosk/gosk/drivertest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// memoryHarness runs the suite on the memory driver, the reference.
func memoryHarness() drivertest.Harness {
	return drivertest.Harness{
		New: func(testing.TB) driver.Driver { return memory.New(nil) },
		Tx: func(_ testing.TB, d driver.Driver) (driver.Creator, func() error, func() error) {
			tx := d.(*memory.Driver).Begin()
			return tx, tx.Commit, tx.Rollback
		},
	}
}

func TestMemory(t *testing.T) {
	drivertest.Run(t, memoryHarness())
}

func BenchmarkMemory(b *testing.B) {
	drivertest.RunBenchmarks(b, memoryHarness())
}
