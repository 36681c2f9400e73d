package bbolt_test

import (
	"context"
	"encoding/binary"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/gosk/gosk/driver"
	goskbbolt "github.com/gosk/gosk/drivers/bbolt"
)

// importTask is a pending task of queue q, ID id on the store "old",
// that has been due for an hour.
func importTask(q string, id int64) driver.ImportTask {
	now := time.Now()
	return driver.ImportTask{Origin: "old", Task: driver.TaskRecord{
		ID: id, Queue: q, Payload: []byte("p" + strconv.FormatInt(id, 10)), State: driver.StatePending,
		MaxAttempts: 3, CreatedAt: now.Add(-2 * time.Hour), RunAt: now.Add(-time.Hour),
	}}
}

// A store that an older gosk left at layout version 2, without the
// origins bucket, is migrated by Open: its tasks stay and Import works.
func TestImportAfterUpgradeFromVersion2(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "gosk.db")
	d, err := goskbbolt.Open(ctx, path, nil)
	require.NoError(t, err)
	id := create(t, d, newTask("q"))[0]
	require.NoError(t, d.Close())

	meta := func(tx *bolt.Tx) *bolt.Bucket {
		return tx.Bucket([]byte(goskbbolt.DefaultBucket)).Bucket([]byte("meta"))
	}
	db, err := bolt.Open(path, 0o600, nil)
	require.NoError(t, err)
	require.NoError(t, db.Update(func(tx *bolt.Tx) error {
		if err := tx.Bucket([]byte(goskbbolt.DefaultBucket)).DeleteBucket([]byte("origins")); err != nil {
			return err
		}
		return meta(tx).Put([]byte("version"), binary.BigEndian.AppendUint64(nil, 2))
	}))
	require.NoError(t, db.Close())

	d, err = goskbbolt.Open(ctx, path, nil)
	require.NoError(t, err)
	_, err = d.Get(ctx, id)
	require.NoError(t, err, "the task of version 2 is still there")
	res, err := d.Import(ctx, []driver.ImportTask{importTask("q", 1)})
	require.NoError(t, err)
	require.True(t, res[0].Imported)
	again, err := d.Import(ctx, []driver.ImportTask{importTask("q", 1)})
	require.NoError(t, err)
	assert.Equal(t, driver.ImportResult{ID: res[0].ID}, again[0], "the migrated store records origins")
	require.NoError(t, d.DB().View(func(tx *bolt.Tx) error {
		assert.Equal(t, uint64(goskbbolt.SchemaVersion), binary.BigEndian.Uint64(meta(tx).Get([]byte("version"))))
		return nil
	}))
	require.NoError(t, d.Close())
}

// Drivers in every commit mode on one DB and bucket (bbolt's DB.Batch
// may run a write more than once) that import the same batch at once
// store each origin task once, and every caller names that task.
func TestImportInEveryCommitModeStoresEachOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "app.db"), 0o600, nil)
	require.NoError(t, err)
	defer db.Close()
	var drivers []*goskbbolt.Driver
	for _, mode := range []goskbbolt.CommitMode{goskbbolt.CommitGrouped, goskbbolt.CommitEach, goskbbolt.CommitBoltBatch} {
		d, err := goskbbolt.New(ctx, db, &goskbbolt.Options{Commit: mode})
		require.NoError(t, err)
		defer d.Close()
		drivers = append(drivers, d, d)
	}
	const n = 30
	batch := make([]driver.ImportTask, n)
	for i := range batch {
		batch[i] = importTask("q", int64(i+1))
	}
	results := make([][]driver.ImportResult, len(drivers))
	errs := make([]error, len(drivers))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, d := range drivers {
		wg.Go(func() {
			<-start
			results[i], errs[i] = d.Import(ctx, batch)
		})
	}
	close(start)
	wg.Wait()
	for i := range drivers {
		require.NoError(t, errs[i], "caller %d", i)
	}
	for k := range batch {
		stored := 0
		for i := range drivers {
			require.NoError(t, results[i][k].Err)
			assert.Equal(t, results[0][k].ID, results[i][k].ID, "every caller names one task for origin %d", k+1)
			if results[i][k].Imported {
				stored++
			}
		}
		assert.Equal(t, 1, stored, "origin %d is stored once", k+1)
	}
	counts, err := drivers[0].Count(ctx, "q")
	require.NoError(t, err)
	assert.Equal(t, int64(n), counts[driver.StatePending])
}

// An origin is recorded per queue, as driver.Importer says: the same
// origin task imported into another queue (by another call: one batch may
// not name it twice) is a task of that queue.
func TestImportRecordsOriginPerQueue(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := open(t, nil)
	a, err := d.Import(ctx, []driver.ImportTask{importTask("a", 1)})
	require.NoError(t, err)
	require.True(t, a[0].Imported)
	b, err := d.Import(ctx, []driver.ImportTask{importTask("b", 1)})
	require.NoError(t, err)
	require.True(t, b[0].Imported, "origin task 1 is imported into queue b too")
	assert.NotEqual(t, a[0].ID, b[0].ID)
	again, err := d.Import(ctx, []driver.ImportTask{importTask("a", 1)})
	require.NoError(t, err)
	assert.Equal(t, driver.ImportResult{ID: a[0].ID}, again[0], "and once into queue a")
}
