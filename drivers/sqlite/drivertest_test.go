package sqlite_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
	gosksqlite "github.com/gosk/gosk/drivers/sqlite"
	"github.com/gosk/gosk/drivertest"
)

// files maps each driver that fileHarness opened to its file, for Again.
var files sync.Map // *gosksqlite.Driver -> string

// fileHarness gives each driver a file of its own in a temp directory.
var fileHarness = drivertest.Harness{
	New: func(t testing.TB) driver.Driver {
		d, path := openFile(t, nil)
		files.Store(d, path)
		return d
	},
	Again: func(t testing.TB, d driver.Driver) driver.Driver {
		path, ok := files.Load(d)
		require.True(t, ok, "driver was not made by fileHarness.New")
		again, err := gosksqlite.Open(context.Background(), path.(string), nil)
		require.NoError(t, err)
		return again
	},
	NewClocked: func(t testing.TB, clock func() time.Time) driver.Driver {
		d, _ := openFile(t, &gosksqlite.Options{Clock: clock})
		return d
	},
	Tx: txCreator,
}

// memoryHarness gives each driver a ":memory:" database of its own.
var memoryHarness = drivertest.Harness{
	New: func(t testing.TB) driver.Driver { return openMemory(t, nil) },
	NewClocked: func(t testing.TB, clock func() time.Time) driver.Driver {
		return openMemory(t, &gosksqlite.Options{Clock: clock})
	},
	Exempt: map[drivertest.Capability]string{
		drivertest.CapTx: "an in-memory database has one connection, which the caller's open transaction holds, " +
			"so the driver's calls made while it is open wait for it (UniqueKeyAcrossTxAndStore does that); " +
			"transactional create is tested on a file",
		drivertest.CapAgain: "an in-memory database lives in its driver's one connection; a second driver is tested on a file",
	},
}

// openMemory opens a driver on a ":memory:" database of its own.
func openMemory(t testing.TB, opts *gosksqlite.Options) driver.Driver {
	d, err := gosksqlite.Open(context.Background(), ":memory:", opts)
	require.NoError(t, err)
	return d
}

// txCreator binds a Creator to a new transaction on the driver's handle.
func txCreator(t testing.TB, d driver.Driver) (driver.Creator, func() error, func() error) {
	sd := d.(*gosksqlite.Driver)
	tx, err := sd.DB().BeginTx(context.Background(), nil)
	require.NoError(t, err)
	return sd.Tx(tx), tx.Commit, tx.Rollback
}

// TestDriver runs the conformance suite on a file, the way gosk is used.
func TestDriver(t *testing.T) {
	t.Parallel()
	drivertest.Run(t, fileHarness)
}

// TestDriverInMemory runs the conformance suite on ":memory:", where the
// driver keeps one connection.
func TestDriverInMemory(t *testing.T) {
	t.Parallel()
	drivertest.Run(t, memoryHarness)
}

// BenchmarkDriver measures the driver on a file with the shared benchmarks.
func BenchmarkDriver(b *testing.B) { drivertest.RunBenchmarks(b, fileHarness) }

// BenchmarkDriverSyncNormal measures the driver on a file with
// synchronous=NORMAL, which in WAL mode may lose the last commits on a power
// cut (never on a crash of the process), against BenchmarkDriver's FULL.
func BenchmarkDriverSyncNormal(b *testing.B) {
	drivertest.RunBenchmarks(b, drivertest.Harness{
		New: func(t testing.TB) driver.Driver {
			d, err := gosksqlite.Open(context.Background(), filepath.Join(t.TempDir(), "tasks.db"),
				&gosksqlite.Options{Sync: gosksqlite.SyncNormal})
			require.NoError(t, err)
			return d
		},
	})
}
