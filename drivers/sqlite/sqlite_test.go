package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite"

	"github.com/gosk/gosk/driver"
	gosksqlite "github.com/gosk/gosk/drivers/sqlite"
	"github.com/gosk/gosk/internal/adaptertest"
	"github.com/gosk/gosk/internal/testclock"
)

// openFile opens a driver on a new file in a temp directory, closed at the
// end of the test.
func openFile(t testing.TB, opts *gosksqlite.Options) (*gosksqlite.Driver, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tasks.db")
	d, err := gosksqlite.Open(context.Background(), path, opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close() })
	return d, path
}

func newTask(queue string) driver.NewTask {
	return driver.NewTask{Queue: queue, Payload: []byte("p"), MaxAttempts: 3}
}

func TestOptionsAreChecked(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	cases := []struct {
		opts  gosksqlite.Options
		field string
	}{
		{gosksqlite.Options{TablePrefix: `x"; DROP TABLE y; --`}, "TablePrefix"},
		{gosksqlite.Options{TablePrefix: "1abc"}, "TablePrefix"},
		{gosksqlite.Options{BusyTimeout: -time.Second}, "BusyTimeout"},
		{gosksqlite.Options{Sync: "OFF"}, "Sync"},
	}
	for _, c := range cases {
		_, err := gosksqlite.Open(ctx, filepath.Join(dir, "x.db"), &c.opts)
		require.ErrorContains(t, err, "Options."+c.field)
	}
	_, err := gosksqlite.Open(ctx, "", nil)
	require.Error(t, err)
	_, err = gosksqlite.New(ctx, nil, nil)
	require.Error(t, err)
}

func TestTablePrefixesShareAFile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, path := openFile(t, nil)
	b, err := gosksqlite.Open(ctx, path, &gosksqlite.Options{TablePrefix: "other_"})
	require.NoError(t, err)
	defer b.Close()
	_, err = a.Create(ctx, []driver.NewTask{newTask("q")})
	require.NoError(t, err)
	n, err := b.Count(ctx, "q")
	require.NoError(t, err)
	require.Zero(t, n[driver.StatePending], "a store under another prefix sees no task of the first")
}

func TestForeignLayoutIsRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()

	// Not an SQLite file at all.
	junk := filepath.Join(dir, "junk.db")
	require.NoError(t, os.WriteFile(junk, []byte("this is not a database, just text long enough to look like a header............................................................"), 0o600))
	_, err := gosksqlite.Open(ctx, junk, nil)
	require.ErrorIs(t, err, gosksqlite.ErrNotGosk)
	b, _ := os.ReadFile(junk)
	require.Contains(t, string(b), "this is not a database", "the file is left as it was")

	// An SQLite file with a table of the driver's name that gosk did not make.
	foreign := filepath.Join(dir, "foreign.db")
	db, err := sql.Open("sqlite", foreign)
	require.NoError(t, err)
	_, err = db.Exec(`CREATE TABLE gosk_tasks (name TEXT)`)
	require.NoError(t, err)
	require.NoError(t, db.Close())
	_, err = gosksqlite.Open(ctx, foreign, nil)
	require.ErrorIs(t, err, gosksqlite.ErrNotGosk)

	// A meta table of someone else's.
	other := filepath.Join(dir, "other.db")
	db, err = sql.Open("sqlite", other)
	require.NoError(t, err)
	_, err = db.Exec(`CREATE TABLE gosk_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL); INSERT INTO gosk_meta VALUES ('layout', 'theirs')`)
	require.NoError(t, err)
	require.NoError(t, db.Close())
	_, err = gosksqlite.Open(ctx, other, nil)
	require.ErrorIs(t, err, gosksqlite.ErrNotGosk)
}

func TestNewerSchemaIsRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, path := openFile(t, nil)
	id, err := d.Create(ctx, []driver.NewTask{newTask("q")})
	require.NoError(t, err)
	require.NoError(t, d.Close())

	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	var version string
	require.NoError(t, db.QueryRow(`SELECT value FROM gosk_meta WHERE key = 'schema_version'`).Scan(&version))
	_, err = db.Exec(`UPDATE gosk_meta SET value = '999' WHERE key = 'schema_version'`)
	require.NoError(t, err)
	require.NoError(t, db.Close())

	_, err = gosksqlite.Open(ctx, path, nil)
	require.ErrorIs(t, err, gosksqlite.ErrSchemaTooNew)
	require.ErrorContains(t, err, "999")

	// Nothing was changed: put the version back and the task is there.
	db, err = sql.Open("sqlite", path)
	require.NoError(t, err)
	_, err = db.Exec(`UPDATE gosk_meta SET value = ? WHERE key = 'schema_version'`, version)
	require.NoError(t, err)
	require.NoError(t, db.Close())
	d, err = gosksqlite.Open(ctx, path, nil)
	require.NoError(t, err)
	defer d.Close()
	rec, err := d.Get(ctx, id[0].ID)
	require.NoError(t, err)
	require.Equal(t, driver.StatePending, rec.State)
}

func TestConcurrentOpenMigratesOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "tasks.db")
	const n = 6
	drivers := make([]*gosksqlite.Driver, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { drivers[i], errs[i] = gosksqlite.Open(ctx, path, nil) })
	}
	wg.Wait()
	for i := range n {
		require.NoError(t, errs[i], "open %d", i)
		defer drivers[i].Close()
	}
	_, err := drivers[0].Create(ctx, []driver.NewTask{newTask("q")})
	require.NoError(t, err)
	c, err := drivers[n-1].Count(ctx, "q")
	require.NoError(t, err)
	require.EqualValues(t, 1, c[driver.StatePending])
}

func TestNewChecksTheHandle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()

	noWAL, err := sql.Open("sqlite", filepath.Join(dir, "a.db")+"?_pragma=busy_timeout(1000)")
	require.NoError(t, err)
	defer noWAL.Close()
	_, err = gosksqlite.New(ctx, noWAL, nil)
	require.ErrorContains(t, err, "journal_mode")

	noBusy, err := sql.Open("sqlite", filepath.Join(dir, "b.db")+"?_pragma=journal_mode(WAL)")
	require.NoError(t, err)
	defer noBusy.Close()
	_, err = gosksqlite.New(ctx, noBusy, nil)
	require.ErrorContains(t, err, "busy_timeout")

	mem, err := sql.Open("sqlite", ":memory:")
	require.NoError(t, err)
	defer mem.Close()
	_, err = gosksqlite.New(ctx, mem, nil)
	require.ErrorContains(t, err, "SetMaxOpenConns(1)")

	good, err := sql.Open("sqlite", filepath.Join(dir, "c.db")+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_txlock=immediate")
	require.NoError(t, err)
	defer good.Close()
	d, err := gosksqlite.New(ctx, good, nil)
	require.NoError(t, err)
	_, err = d.Create(ctx, []driver.NewTask{newTask("q")})
	require.NoError(t, err)
	require.NoError(t, d.Close())
	_, err = d.Create(ctx, []driver.NewTask{newTask("q")})
	require.ErrorIs(t, err, driver.ErrClosed)
	require.NoError(t, good.PingContext(ctx), "Close leaves the caller's handle open")
}

func TestLeaseExpiryWithClock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := testclock.New(time.Unix(1_700_000_000, 0))
	d, _ := openFile(t, &gosksqlite.Options{Clock: clock.Now})
	nt := newTask("q")
	nt.MaxAttempts = 2
	res, err := d.Create(ctx, []driver.NewTask{nt})
	require.NoError(t, err)
	id := res[0].ID
	claim := func() []driver.ClaimedTask {
		c, err := d.Claim(ctx, driver.ClaimParams{Queue: "q", Rule: driver.Fifo, Lease: time.Minute})
		require.NoError(t, err)
		return c
	}
	first := claim()
	require.Len(t, first, 1)
	require.Empty(t, claim(), "a live lease is not handed out twice")

	clock.Add(2 * time.Minute)
	second := claim()
	require.Len(t, second, 1, "a lapsed lease is claimable again")
	require.Greater(t, second[0].Lease.Token, first[0].Lease.Token)
	require.Equal(t, 2, second[0].Task.Attempt)

	errs, err := d.Finish(ctx, []driver.Outcome{{Lease: first[0].Lease, Kind: driver.Complete}})
	require.NoError(t, err)
	require.ErrorIs(t, errs[0], driver.ErrLeaseLost, "the stale holder cannot complete")

	clock.Add(2 * time.Minute)
	require.Empty(t, claim(), "the last attempt's lapsed lease fails the task")
	rec, err := d.Get(ctx, id)
	require.NoError(t, err)
	require.Equal(t, driver.StateFailed, rec.State)
	require.Equal(t, driver.LeaseExpiredMessage, rec.LastError)
	require.Equal(t, clock.Now(), rec.FinalizedAt.In(clock.Now().Location()))
	errs, err = d.Ping(ctx, []driver.Lease{second[0].Lease}, time.Minute)
	require.NoError(t, err)
	require.ErrorIs(t, errs[0], driver.ErrLeaseLost)
}

func TestInMemory(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, err := gosksqlite.Open(ctx, ":memory:", nil)
	require.NoError(t, err)
	defer d.Close()
	res, err := d.Create(ctx, []driver.NewTask{newTask("q"), newTask("q")})
	require.NoError(t, err)
	c, err := d.Claim(ctx, driver.ClaimParams{Queue: "q", Limit: 5, Rule: driver.Lifo, Lease: time.Minute})
	require.NoError(t, err)
	require.Len(t, c, 2)
	require.Equal(t, res[1].ID, c[0].Task.ID, "Lifo hands out the newest first")
}

func TestTxCreate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, _ := openFile(t, nil)
	_, err := d.DB().ExecContext(ctx, `CREATE TABLE orders (id INTEGER PRIMARY KEY)`)
	require.NoError(t, err)

	for _, commit := range []bool{true, false} {
		tx, err := d.DB().BeginTx(ctx, nil)
		require.NoError(t, err)
		_, err = tx.ExecContext(ctx, `INSERT INTO orders DEFAULT VALUES`)
		require.NoError(t, err)
		res, err := d.Tx(tx).Create(ctx, []driver.NewTask{newTask("tx")})
		require.NoError(t, err)
		if commit {
			require.NoError(t, tx.Commit())
			rec, err := d.Get(ctx, res[0].ID)
			require.NoError(t, err)
			require.Equal(t, driver.StatePending, rec.State)
		} else {
			require.NoError(t, tx.Rollback())
			_, err := d.Get(ctx, res[0].ID)
			require.ErrorIs(t, err, driver.ErrTaskNotFound, "a rolled-back transaction leaves no task")
		}
	}
}

func TestClosedDriver(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, _ := openFile(t, nil)
	require.NoError(t, d.Close())
	require.NoError(t, d.Close())
	_, err := d.Get(ctx, 1)
	require.ErrorIs(t, err, driver.ErrClosed)
	_, err = d.Claim(ctx, driver.ClaimParams{Queue: "q", Rule: driver.Fifo, Lease: time.Second})
	require.ErrorIs(t, err, driver.ErrClosed)
	_, err = d.Subscribe(ctx, "q")
	require.True(t, errors.Is(err, driver.ErrClosed))
}

func TestOpenTakesADSN(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "dsn.db")
	d, err := gosksqlite.Open(ctx, "file:"+path+"?_pragma=busy_timeout(2500)", &gosksqlite.Options{Sync: gosksqlite.SyncNormal})
	require.NoError(t, err)
	defer d.Close()
	var busy int
	var journal string
	var sync int
	require.NoError(t, d.DB().QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&busy))
	require.NoError(t, d.DB().QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&journal))
	require.NoError(t, d.DB().QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync))
	require.Equal(t, 2500, busy, "the DSN's own busy timeout is kept")
	require.Equal(t, "wal", journal, "WAL is added")
	require.Equal(t, 1, sync, "Options.Sync is applied (NORMAL is 1)")
	_, err = d.Create(ctx, []driver.NewTask{newTask("q")})
	require.NoError(t, err)
	_, err = os.Stat(path)
	require.NoError(t, err, "the file is where the DSN says")
}

func TestResultSurvivesReopen(t *testing.T) {
	t.Parallel()
	d, path := openFile(t, nil)
	adaptertest.ResultSurvivesReopen(t, d, func() driver.Driver {
		d2, err := gosksqlite.Open(context.Background(), path, nil)
		require.NoError(t, err)
		t.Cleanup(func() { _ = d2.Close() })
		return d2
	})
}
