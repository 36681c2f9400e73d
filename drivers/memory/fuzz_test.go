package memory_test

import (
	"testing"

	"github.com/gosk/gosk/drivers/memory"
	"github.com/gosk/gosk/drivertest"
)

// FuzzBoundary sends queue names, unique keys, payloads and messages of
// arbitrary bytes through the memory driver: each either round-trips
// exactly or is refused with ErrInvalid, and Count stays exact.
func FuzzBoundary(f *testing.F) {
	d := memory.New(nil)
	f.Cleanup(func() { _ = d.Close() })
	drivertest.FuzzBoundary(f, d)
}
