package sqlite_test

import (
	"database/sql"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
	gosksqlite "github.com/gosk/gosk/drivers/sqlite"
)

// payloadOf returns a payload of n bytes that differs from any other of
// another length or seed.
func payloadOf(n int, seed byte) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = seed + byte(i*7)
	}
	return p
}

// keptApart counts the rows of the payloads table of the file at path.
func keptApart(t *testing.T, path string) int {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	defer db.Close()
	var n int
	require.NoError(t, db.QueryRow(`SELECT count(*) FROM "gosk_payloads"`).Scan(&n))
	return n
}

// Payloads of 1 KiB or more live in the payloads table, the others in the
// task's row (drivertest's Payload/EverySizeSurvivesTheLifecycle checks
// that every read returns them whole); deleting a task deletes its payload.
func TestLargePayloadsKeptApart(t *testing.T) {
	t.Parallel()
	d, path := openFile(t, nil)
	ctx := t.Context()
	sizes := []int{0, 100, 1023, 1024, 10_000, 1 << 20}
	var tasks []driver.NewTask
	for i, n := range sizes {
		tasks = append(tasks, driver.NewTask{Queue: "q", Payload: payloadOf(n, byte(i)), MaxAttempts: 1})
	}
	res, err := d.Create(ctx, tasks)
	require.NoError(t, err)
	want := map[int64][]byte{}
	for i, r := range res {
		require.NoError(t, r.Err)
		want[r.ID] = tasks[i].Payload
	}
	// And one imported, with its record.
	imp, err := d.Import(ctx, []driver.ImportTask{{Origin: "elsewhere", Task: driver.TaskRecord{
		ID: 1, Queue: "q", Payload: payloadOf(5000, 9), State: driver.StatePending, MaxAttempts: 1,
		CreatedAt: time.Now(), RunAt: time.Now(),
	}}})
	require.NoError(t, err)
	require.NoError(t, imp[0].Err)
	want[imp[0].ID] = payloadOf(5000, 9)
	require.Equal(t, 4, keptApart(t, path), "one row per payload of 1 KiB or more")

	claimed, err := d.Claim(ctx, driver.ClaimParams{Queue: "q", Limit: 100, Lease: time.Minute, Rule: driver.Fifo})
	require.NoError(t, err)
	require.Len(t, claimed, len(want))
	outcomes := make([]driver.Outcome, len(claimed))
	for i, c := range claimed {
		outcomes[i] = driver.Outcome{Lease: c.Lease, Kind: driver.Complete}
	}
	errs, err := d.Finish(ctx, outcomes)
	require.NoError(t, err)
	for _, e := range errs {
		require.NoError(t, e)
	}
	n, err := d.Purge(ctx, driver.PurgeParams{Queue: "q", Limit: 100})
	require.NoError(t, err)
	require.Equal(t, len(want), n)
	require.Zero(t, keptApart(t, path), "purging a task deletes its payload")
}

// A file that an older gosk left at schema version 3, with payloads of any
// length in their rows, is migrated by Open, and those payloads read back
// whole from Get and Claim.
func TestPayloadsInRowsStayReadableAfterUpgrade(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	d, path := openFile(t, nil)
	res, err := d.Create(ctx, []driver.NewTask{newTask("q")})
	require.NoError(t, err)
	require.NoError(t, d.Close())

	big := payloadOf(20_000, 4)
	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	_, err = db.Exec(`DROP TRIGGER gosk_payloads_go_with_task; DROP TABLE gosk_payloads;
		UPDATE gosk_meta SET value = '3' WHERE key = 'schema_version'`)
	require.NoError(t, err)
	_, err = db.Exec(`UPDATE gosk_tasks SET payload = ? WHERE id = ?`, big, res[0].ID)
	require.NoError(t, err)
	require.NoError(t, db.Close())

	d, err = gosksqlite.Open(ctx, path, nil)
	require.NoError(t, err)
	defer d.Close()
	rec, err := d.Get(ctx, res[0].ID)
	require.NoError(t, err)
	require.Equal(t, big, rec.Payload)
	claimed, err := d.Claim(ctx, driver.ClaimParams{Queue: "q", Limit: 1, Lease: time.Minute, Rule: driver.Fifo})
	require.NoError(t, err)
	require.Len(t, claimed, 1)
	require.Equal(t, big, claimed[0].Task.Payload)
	require.Zero(t, keptApart(t, path))
}
