package bbolt_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/gosk/gosk/driver"
	goskbbolt "github.com/gosk/gosk/drivers/bbolt"
	"github.com/gosk/gosk/drivertest"
)

// harness gives each subtest a driver on a file of its own.
var harness = drivertest.Harness{
	New: func(t testing.TB) driver.Driver { return open(t, nil) },
	NewClocked: func(t testing.TB, clock func() time.Time) driver.Driver {
		return open(t, &goskbbolt.Options{Clock: clock})
	},
	Tx: func(t testing.TB, d driver.Driver) (driver.Creator, func() error, func() error) {
		return newLazyTx(d.(*goskbbolt.Driver))
	},
	// bbolt locks its file for one process: the second driver opens it
	// once the first has closed it, as a restarted process would.
	Again: func(t testing.TB, d driver.Driver) driver.Driver {
		bd := d.(*goskbbolt.Driver)
		path := bd.DB().Path()
		require.NoError(t, bd.Close())
		again, err := goskbbolt.Open(context.Background(), path, nil)
		require.NoError(t, err)
		return again
	},
}

func TestDriver(t *testing.T) { drivertest.Run(t, harness) }

func BenchmarkDriver(b *testing.B) { drivertest.RunBenchmarks(b, harness) }

// lazyTx is a creator bound to a bbolt write transaction that begins at
// its first Create. bbolt has one writer per file, so a transaction begun
// at once would block the driver's own writes that the suite makes
// between taking the creator and using it.
type lazyTx struct {
	d  *goskbbolt.Driver
	tx *bolt.Tx
}

func newLazyTx(d *goskbbolt.Driver) (driver.Creator, func() error, func() error) {
	l := &lazyTx{d: d}
	return l, l.commit, l.rollback
}

func (l *lazyTx) Create(ctx context.Context, tasks []driver.NewTask) ([]driver.CreateResult, error) {
	if l.tx == nil {
		tx, err := l.d.DB().Begin(true)
		if err != nil {
			return nil, err
		}
		l.tx = tx
	}
	return l.d.Tx(l.tx).Create(ctx, tasks)
}

func (l *lazyTx) commit() error {
	if l.tx == nil {
		return nil
	}
	return l.tx.Commit()
}

func (l *lazyTx) rollback() error {
	if l.tx == nil {
		return nil
	}
	return l.tx.Rollback()
}
