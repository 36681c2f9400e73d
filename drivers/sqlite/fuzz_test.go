package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	gosksqlite "github.com/gosk/gosk/drivers/sqlite"
	"github.com/gosk/gosk/drivertest"
)

// FuzzBoundary sends queue names, unique keys, payloads and messages of
// arbitrary bytes through the SQLite driver on a file: each either
// round-trips exactly or is refused with ErrInvalid, and Count stays exact.
func FuzzBoundary(f *testing.F) {
	d, err := gosksqlite.Open(context.Background(), filepath.Join(f.TempDir(), "tasks.db"), &gosksqlite.Options{Sync: gosksqlite.SyncNormal})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = d.Close() })
	drivertest.FuzzBoundary(f, d)
}
