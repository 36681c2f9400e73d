package bbolt_test

import (
	"context"
	"path/filepath"
	"testing"

	goskbbolt "github.com/gosk/gosk/drivers/bbolt"
	"github.com/gosk/gosk/drivertest"
)

// FuzzBoundary sends queue names, unique keys, payloads and messages of
// arbitrary bytes through the bbolt driver on a file: each either
// round-trips exactly or is refused with ErrInvalid, and Count stays exact.
func FuzzBoundary(f *testing.F) {
	d, err := goskbbolt.Open(context.Background(), filepath.Join(f.TempDir(), "tasks.db"), nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = d.Close() })
	drivertest.FuzzBoundary(f, d)
}
