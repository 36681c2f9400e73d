package sqlite_test

import (
	"context"
	"database/sql"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
	gosksqlite "github.com/gosk/gosk/drivers/sqlite"
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

// A file that an older gosk left at schema version 2, without the origins
// table (nor the payloads table of version 4), is migrated by Open: its
// tasks stay and Import works.
func TestImportAfterUpgradeFromVersion2(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, path := openFile(t, nil)
	created, err := d.Create(ctx, []driver.NewTask{newTask("q")})
	require.NoError(t, err)
	require.NoError(t, d.Close())

	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	_, err = db.Exec(`DROP TRIGGER gosk_payloads_go_with_task; DROP TABLE gosk_payloads; DROP TABLE gosk_origins;
		UPDATE gosk_meta SET value = '2' WHERE key = 'schema_version'`)
	require.NoError(t, err)
	require.NoError(t, db.Close())

	d, err = gosksqlite.Open(ctx, path, nil)
	require.NoError(t, err)
	defer d.Close()
	_, err = d.Get(ctx, created[0].ID)
	require.NoError(t, err, "the task of version 2 is still there")
	res, err := d.Import(ctx, []driver.ImportTask{importTask("q", 1)})
	require.NoError(t, err)
	require.True(t, res[0].Imported)
	again, err := d.Import(ctx, []driver.ImportTask{importTask("q", 1)})
	require.NoError(t, err)
	assert.Equal(t, driver.ImportResult{ID: res[0].ID}, again[0], "the migrated file records origins")

	db, err = sql.Open("sqlite", path)
	require.NoError(t, err)
	defer db.Close()
	var version string
	require.NoError(t, db.QueryRow(`SELECT value FROM gosk_meta WHERE key = 'schema_version'`).Scan(&version))
	assert.Equal(t, strconv.Itoa(gosksqlite.LatestVersion()), version)
}

// Drivers on one file, as separate processes would have, that import the
// same batch at once store each origin task once: the check and the
// insert share the write transaction that BEGIN IMMEDIATE locks.
func TestImportFromTwoHandlesStoresEachOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	first, path := openFile(t, nil)
	second, err := gosksqlite.Open(ctx, path, nil)
	require.NoError(t, err)
	defer second.Close()
	const n = 30
	batch := make([]driver.ImportTask, n)
	for i := range batch {
		batch[i] = importTask("q", int64(i+1))
	}
	drivers := []*gosksqlite.Driver{first, second, first, second}
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
	counts, err := second.Count(ctx, "q")
	require.NoError(t, err)
	assert.Equal(t, int64(n), counts[driver.StatePending])
}

// An origin is recorded per queue, as driver.Importer says: the same
// origin task imported into another queue (by another call: one batch may
// not name it twice) is a task of that queue.
func TestImportRecordsOriginPerQueue(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, _ := openFile(t, nil)
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
