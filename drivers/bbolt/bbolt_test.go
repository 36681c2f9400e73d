package bbolt_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"
	"go.uber.org/goleak"

	"github.com/gosk/gosk/driver"
	goskbbolt "github.com/gosk/gosk/drivers/bbolt"
	"github.com/gosk/gosk/internal/adaptertest"
	"github.com/gosk/gosk/internal/testclock"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// newFakeClock returns a clock the test moves by hand.
func newFakeClock() *testclock.Clock {
	return testclock.New(time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC))
}

// open returns a driver on a fresh file in the test's temp dir.
func open(t testing.TB, opts *goskbbolt.Options) *goskbbolt.Driver {
	t.Helper()
	d, err := goskbbolt.Open(context.Background(), filepath.Join(t.TempDir(), "gosk.db"), opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close() })
	return d
}

func newTask(queue string) driver.NewTask {
	return driver.NewTask{Queue: queue, Payload: []byte("p"), MaxAttempts: 3}
}

func create(t testing.TB, d driver.Driver, tasks ...driver.NewTask) []int64 {
	t.Helper()
	res, err := d.Create(context.Background(), tasks)
	require.NoError(t, err)
	ids := make([]int64, len(res))
	for i, r := range res {
		require.NoError(t, r.Err)
		ids[i] = r.ID
	}
	return ids
}

func claimIDs(t testing.TB, d driver.Driver, p driver.ClaimParams) []int64 {
	t.Helper()
	got, err := d.Claim(context.Background(), p)
	require.NoError(t, err)
	ids := make([]int64, len(got))
	for i, c := range got {
		ids[i] = c.Task.ID
	}
	return ids
}

func TestClaimOrder(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	d := open(t, &goskbbolt.Options{Clock: clock.Now})
	ctx := context.Background()
	// Created in ID order 1..5: run-at now+0 for 1,2; priorities vary;
	// 5 is delayed and must not be handed out.
	tasks := []driver.NewTask{
		{Queue: "q", MaxAttempts: 1, Priority: 0},
		{Queue: "q", MaxAttempts: 1, Priority: 5},
		{Queue: "q", MaxAttempts: 1, Priority: -3},
		{Queue: "q", MaxAttempts: 1, Priority: 5},
		{Queue: "q", MaxAttempts: 1, Priority: 100, Delay: time.Hour},
	}
	for _, rule := range []struct {
		rule driver.PriorityRule
		want []int64
	}{
		{driver.Fifo, []int64{1, 2, 3, 4}},
		{driver.Lifo, []int64{4, 3, 2, 1}},
		{driver.Priority, []int64{2, 4, 1, 3}},
	} {
		queue := "q-" + rule.rule.String()
		batch := make([]driver.NewTask, len(tasks))
		for i, nt := range tasks {
			nt.Queue = queue
			batch[i] = nt
		}
		ids := create(t, d, batch...)
		want := make([]int64, len(rule.want))
		for i, n := range rule.want {
			want[i] = ids[n-1]
		}
		got := claimIDs(t, d, driver.ClaimParams{Queue: queue, Limit: 10, Rule: rule.rule, Lease: time.Minute})
		require.Equal(t, want, got, "rule %v", rule.rule)
		// The delayed task comes once its run-at has come.
		clock.Add(time.Hour)
		got = claimIDs(t, d, driver.ClaimParams{Queue: queue, Limit: 10, Rule: rule.rule, Lease: 2 * time.Hour})
		require.Equal(t, []int64{ids[4]}, got, "rule %v, after the delay", rule.rule)
	}
	_ = ctx
}

func TestPriorityRunAtWithinLevel(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	d := open(t, &goskbbolt.Options{Clock: clock.Now})
	// A delayed high-priority task must not hide the available ones after
	// it in the same level or in lower levels.
	ids := create(t, d,
		driver.NewTask{Queue: "q", MaxAttempts: 1, Priority: 9, Delay: time.Minute},
		driver.NewTask{Queue: "q", MaxAttempts: 1, Priority: 9},
		driver.NewTask{Queue: "q", MaxAttempts: 1, Priority: 1, Delay: time.Minute},
		driver.NewTask{Queue: "q", MaxAttempts: 1, Priority: 1},
	)
	got := claimIDs(t, d, driver.ClaimParams{Queue: "q", Limit: 10, Rule: driver.Priority, Lease: time.Hour})
	require.Equal(t, []int64{ids[1], ids[3]}, got)
}

func TestFencing(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	d := open(t, &goskbbolt.Options{Clock: clock.Now})
	ctx := context.Background()
	id := create(t, d, newTask("q"))[0]
	p := driver.ClaimParams{Queue: "q", Rule: driver.Fifo, Lease: time.Minute}
	first, err := d.Claim(ctx, p)
	require.NoError(t, err)
	require.Len(t, first, 1)
	l1 := first[0].Lease
	require.Equal(t, 1, first[0].Task.Attempt)
	require.Equal(t, driver.StateRunning, first[0].Task.State)

	// Not expired: nothing to claim.
	require.Empty(t, claimIDs(t, d, p))

	// Expired but not reclaimed: the old lease still holds for a ping.
	clock.Add(2 * time.Minute)
	errs, err := d.Ping(ctx, []driver.Lease{l1}, time.Minute)
	require.NoError(t, err)
	require.NoError(t, errs[0])

	// Expire again; a new claim takes the task with a new token.
	clock.Add(2 * time.Minute)
	second, err := d.Claim(ctx, p)
	require.NoError(t, err)
	require.Len(t, second, 1)
	l2 := second[0].Lease
	require.NotEqual(t, l1.Token, l2.Token)
	require.Equal(t, 2, second[0].Task.Attempt)

	// The stale lease can neither ping nor finish.
	errs, err = d.Ping(ctx, []driver.Lease{l1}, time.Minute)
	require.NoError(t, err)
	require.ErrorIs(t, errs[0], driver.ErrLeaseLost)
	errs, err = d.Finish(ctx, []driver.Outcome{{Lease: l1, Kind: driver.Complete}})
	require.NoError(t, err)
	require.ErrorIs(t, errs[0], driver.ErrLeaseLost)

	// Release keeping the attempt; then a second release by the same lease
	// is a conflict (the lease already ended its run) and changes nothing.
	errs, err = d.Finish(ctx, []driver.Outcome{{Lease: l2, Kind: driver.Release, KeepAttempt: true, Message: "snooze"}})
	require.NoError(t, err)
	require.NoError(t, errs[0])
	errs, err = d.Finish(ctx, []driver.Outcome{{Lease: l2, Kind: driver.Release}})
	require.NoError(t, err)
	require.ErrorIs(t, errs[0], driver.ErrTaskConflict)
	rec, err := d.Get(ctx, id)
	require.NoError(t, err)
	require.Equal(t, driver.StatePending, rec.State)
	require.Equal(t, 1, rec.Attempt)
	require.Equal(t, "snooze", rec.LastError)
	require.True(t, rec.LeaseExpiresAt.IsZero())

	// Complete, then complete again: conflict.
	third, err := d.Claim(ctx, p)
	require.NoError(t, err)
	require.Len(t, third, 1)
	l3 := third[0].Lease
	errs, err = d.Finish(ctx, []driver.Outcome{{Lease: l3, Kind: driver.Complete}})
	require.NoError(t, err)
	require.NoError(t, errs[0])
	errs, err = d.Finish(ctx, []driver.Outcome{{Lease: l3, Kind: driver.Complete}})
	require.NoError(t, err)
	require.ErrorIs(t, errs[0], driver.ErrTaskConflict)
	errs, err = d.Ping(ctx, []driver.Lease{l3}, time.Minute)
	require.NoError(t, err)
	require.ErrorIs(t, errs[0], driver.ErrLeaseLost)

	// Unknown IDs.
	errs, err = d.Finish(ctx, []driver.Outcome{{Lease: driver.Lease{TaskID: 999, Token: 1}, Kind: driver.Complete}})
	require.NoError(t, err)
	require.ErrorIs(t, errs[0], driver.ErrTaskNotFound)
	_, err = d.Get(ctx, 999)
	require.ErrorIs(t, err, driver.ErrTaskNotFound)
}

func TestLastAttemptLeaseExpiryFails(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	d := open(t, &goskbbolt.Options{Clock: clock.Now})
	ctx := context.Background()
	lone := newTask("q")
	lone.MaxAttempts = 1
	id := create(t, d, lone)[0]
	other := create(t, d, newTask("q"))[0]
	p := driver.ClaimParams{Queue: "q", Rule: driver.Fifo, Lease: time.Minute}
	got, err := d.Claim(ctx, p)
	require.NoError(t, err)
	require.Len(t, got, 1)
	l := got[0].Lease
	clock.Add(time.Hour)
	// The claim fails the lapsed task and hands out the next one instead.
	require.Equal(t, []int64{other}, claimIDs(t, d, p))
	rec, err := d.Get(ctx, id)
	require.NoError(t, err)
	require.Equal(t, driver.StateFailed, rec.State)
	require.Equal(t, driver.LeaseExpiredMessage, rec.LastError)
	require.False(t, rec.FinalizedAt.IsZero())
	errs, err := d.Finish(ctx, []driver.Outcome{{Lease: l, Kind: driver.Complete}})
	require.NoError(t, err)
	require.ErrorIs(t, errs[0], driver.ErrLeaseLost)
}

func TestUniqueKey(t *testing.T) {
	t.Parallel()
	d := open(t, nil)
	ctx := context.Background()
	a := newTask("q")
	a.UniqueKey = "k"
	res, err := d.Create(ctx, []driver.NewTask{a, a, newTask("q")})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	require.ErrorIs(t, res[1].Err, driver.ErrDuplicate)
	require.Equal(t, res[0].ID, res[1].ID)
	require.NoError(t, res[2].Err)
	// Another queue may use the same key.
	b := a
	b.Queue = "other"
	create(t, d, b)

	// Once final, the key is free; retrying the old task then finds it taken.
	got, err := d.Claim(ctx, driver.ClaimParams{Queue: "q", Rule: driver.Fifo, Lease: time.Minute})
	require.NoError(t, err)
	require.Equal(t, res[0].ID, got[0].Task.ID)
	errs, err := d.Finish(ctx, []driver.Outcome{{Lease: got[0].Lease, Kind: driver.Cancel}})
	require.NoError(t, err)
	require.NoError(t, errs[0])
	again := create(t, d, a)[0]
	require.NotEqual(t, res[0].ID, again)
	errs, err = d.Retry(ctx, []int64{res[0].ID})
	require.NoError(t, err)
	require.ErrorIs(t, errs[0], driver.ErrDuplicate)
}

func TestAdmin(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	d := open(t, &goskbbolt.Options{Clock: clock.Now})
	ctx := context.Background()
	ids := create(t, d, newTask("q"), newTask("q"), newTask("q"), newTask("q"))
	got, err := d.Claim(ctx, driver.ClaimParams{Queue: "q", Limit: 2, Rule: driver.Fifo, Lease: time.Minute})
	require.NoError(t, err)
	require.Len(t, got, 2)
	errs, err := d.Finish(ctx, []driver.Outcome{{Lease: got[0].Lease, Kind: driver.Complete}})
	require.NoError(t, err)
	require.NoError(t, errs[0])
	// ids[1] running, ids[2] and ids[3] pending: cancel one of each.
	errs, err = d.Cancel(ctx, []int64{ids[1], ids[2], ids[0], 999})
	require.NoError(t, err)
	require.NoError(t, errs[0])
	require.NoError(t, errs[1])
	require.ErrorIs(t, errs[2], driver.ErrTaskConflict)
	require.ErrorIs(t, errs[3], driver.ErrTaskNotFound)
	// The cancelled running task's lease is gone.
	pe, err := d.Ping(ctx, []driver.Lease{got[1].Lease}, time.Minute)
	require.NoError(t, err)
	require.ErrorIs(t, pe[0], driver.ErrLeaseLost)

	counts, err := d.Count(ctx, "q")
	require.NoError(t, err)
	require.Equal(t, map[driver.State]int64{driver.StatePending: 1, driver.StateRunning: 0,
		driver.StateCompleted: 1, driver.StateCancelled: 2, driver.StateFailed: 0}, counts)
	empty, err := d.Count(ctx, "nobody")
	require.NoError(t, err)
	require.Len(t, empty, 5)

	list, err := d.List(ctx, driver.ListParams{Queue: "q", States: []driver.State{driver.StateCancelled, driver.StateCompleted}})
	require.NoError(t, err)
	require.Equal(t, []int64{ids[0], ids[1], ids[2]}, recordIDs(list))
	list, err = d.List(ctx, driver.ListParams{Queue: "q", AfterID: ids[0], Limit: 2})
	require.NoError(t, err)
	require.Equal(t, []int64{ids[1], ids[2]}, recordIDs(list))

	errs, err = d.Retry(ctx, []int64{ids[1], ids[0], ids[3]})
	require.NoError(t, err)
	require.NoError(t, errs[0])
	require.ErrorIs(t, errs[1], driver.ErrTaskConflict)
	require.ErrorIs(t, errs[2], driver.ErrTaskConflict)
	rec, err := d.Get(ctx, ids[1])
	require.NoError(t, err)
	require.Equal(t, driver.StatePending, rec.State)
	require.Equal(t, 0, rec.Attempt)

	// Purge: only final tasks old enough, in bounded batches.
	clock.Add(time.Hour)
	n, err := d.Purge(ctx, driver.PurgeParams{Queue: "q", OlderThan: 2 * time.Hour})
	require.NoError(t, err)
	require.Zero(t, n)
	n, err = d.Purge(ctx, driver.PurgeParams{Queue: "q", OlderThan: time.Minute, Limit: 1})
	require.NoError(t, err)
	require.Equal(t, 1, n)
	n, err = d.Purge(ctx, driver.PurgeParams{Queue: "q", OlderThan: time.Minute})
	require.NoError(t, err)
	require.Equal(t, 1, n)
	counts, err = d.Count(ctx, "q")
	require.NoError(t, err)
	require.Equal(t, int64(2), counts[driver.StatePending])
	require.Zero(t, counts[driver.StateCompleted]+counts[driver.StateCancelled])
	_, err = d.Get(ctx, ids[0])
	require.ErrorIs(t, err, driver.ErrTaskNotFound)
}

func recordIDs(recs []driver.TaskRecord) []int64 {
	ids := make([]int64, len(recs))
	for i, r := range recs {
		ids[i] = r.ID
	}
	return ids
}

func TestNotify(t *testing.T) {
	t.Parallel()
	d := open(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	sub, err := d.Subscribe(ctx, "q")
	require.NoError(t, err)
	defer sub.Stop()
	delayed := newTask("q")
	delayed.Delay = time.Hour
	create(t, d, delayed)
	select {
	case <-sub.Wake:
		t.Fatal("woken by a delayed task")
	default:
	}
	create(t, d, newTask("other"))
	create(t, d, newTask("q"))
	select {
	case <-sub.Wake:
	case <-time.After(10 * time.Second):
		t.Fatal("no wake-up after a create")
	}
	cancel() // the subscription ends with its context; goleak checks the watch is gone
}

func TestTx(t *testing.T) {
	t.Parallel()
	d := open(t, nil)
	ctx := context.Background()
	sub, err := d.Subscribe(ctx, "q")
	require.NoError(t, err)
	defer sub.Stop()

	errBoom := errors.New("boom")
	var rolledBack int64
	err = d.DB().Update(func(tx *bolt.Tx) error {
		res, err := d.Tx(tx).Create(ctx, []driver.NewTask{newTask("q")})
		require.NoError(t, err)
		rolledBack = res[0].ID
		return errBoom
	})
	require.ErrorIs(t, err, errBoom)
	_, err = d.Get(ctx, rolledBack)
	require.ErrorIs(t, err, driver.ErrTaskNotFound)
	select {
	case <-sub.Wake:
		t.Fatal("woken by a rolled-back create")
	default:
	}

	var id int64
	err = d.DB().Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte("app"))
		if err != nil {
			return err
		}
		if err := b.Put([]byte("k"), []byte("v")); err != nil {
			return err
		}
		res, err := d.Tx(tx).Create(ctx, []driver.NewTask{newTask("q")})
		if err != nil {
			return err
		}
		id = res[0].ID
		return nil
	})
	require.NoError(t, err)
	rec, err := d.Get(ctx, id)
	require.NoError(t, err)
	require.Equal(t, driver.StatePending, rec.State)
	<-sub.Wake

	err = d.DB().View(func(tx *bolt.Tx) error {
		_, err := d.Tx(tx).Create(ctx, []driver.NewTask{newTask("q")})
		return err
	})
	require.ErrorIs(t, err, driver.ErrInvalid)
}

func TestClosed(t *testing.T) {
	t.Parallel()
	d := open(t, nil)
	ctx := context.Background()
	require.NoError(t, d.Close())
	require.NoError(t, d.Close())
	_, err := d.Create(ctx, []driver.NewTask{newTask("q")})
	require.ErrorIs(t, err, driver.ErrClosed)
	_, err = d.Claim(ctx, driver.ClaimParams{Queue: "q", Rule: driver.Fifo, Lease: time.Second})
	require.ErrorIs(t, err, driver.ErrClosed)
	_, err = d.Get(ctx, 1)
	require.ErrorIs(t, err, driver.ErrClosed)
	_, err = d.Subscribe(ctx, "q")
	require.ErrorIs(t, err, driver.ErrClosed)
	_, err = d.Count(ctx, "q")
	require.ErrorIs(t, err, driver.ErrClosed)
}

func TestOpenOptions(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "gosk.db")
	for _, bad := range []*goskbbolt.Options{
		{Bucket: "has space"},
		{Bucket: string(make([]byte, 101))},
		{LockTimeout: -time.Second},
		{Commit: goskbbolt.CommitMode(9)},
	} {
		_, err := goskbbolt.Open(context.Background(), path, bad)
		require.ErrorIs(t, err, driver.ErrInvalid, "%+v", bad)
	}

	// A file that is not a bbolt database is refused, saying so.
	junk := filepath.Join(t.TempDir(), "junk.db")
	require.NoError(t, os.WriteFile(junk, []byte("not a database, but long enough to be read as one: "+strings.Repeat("x", 8192)), 0o600))
	_, err := goskbbolt.Open(context.Background(), junk, nil)
	require.ErrorContains(t, err, "junk.db")

	// A second open of a locked file fails after the lock timeout, saying why.
	d, err := goskbbolt.Open(context.Background(), path, nil)
	require.NoError(t, err)
	_, err = goskbbolt.Open(context.Background(), path, &goskbbolt.Options{LockTimeout: 50 * time.Millisecond})
	require.Error(t, err)
	require.Contains(t, err.Error(), "locked")
	require.NoError(t, d.Close())
}

func TestSharedFileAndLayout(t *testing.T) {
	t.Parallel()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "app.db"), 0o600, nil)
	require.NoError(t, err)
	defer db.Close()
	require.NoError(t, db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("appdata"))
		if err != nil {
			return err
		}
		return b.Put([]byte("k"), []byte("v"))
	}))

	// A bucket the driver did not make is refused.
	_, err = goskbbolt.New(context.Background(), db, &goskbbolt.Options{Bucket: "appdata"})
	require.ErrorIs(t, err, goskbbolt.ErrForeignLayout)

	// Two drivers on one DB, each in its own bucket; New is idempotent.
	a, err := goskbbolt.New(context.Background(), db, &goskbbolt.Options{Bucket: "a"})
	require.NoError(t, err)
	b, err := goskbbolt.New(context.Background(), db, &goskbbolt.Options{Bucket: "b"})
	require.NoError(t, err)
	again, err := goskbbolt.New(context.Background(), db, &goskbbolt.Options{Bucket: "a"})
	require.NoError(t, err)
	id := create(t, a, newTask("q"))[0]
	_, err = b.Get(context.Background(), id)
	require.ErrorIs(t, err, driver.ErrTaskNotFound)
	_, err = again.Get(context.Background(), id)
	require.NoError(t, err)
	require.NoError(t, a.Close())
	require.NoError(t, b.Close())
	require.NoError(t, again.Close())
	// Closing the drivers leaves the caller's DB open.
	require.NoError(t, db.View(func(tx *bolt.Tx) error { return nil }))

	// A store at a newer version is refused.
	require.NoError(t, db.Update(func(tx *bolt.Tx) error {
		v := make([]byte, 8)
		v[7] = goskbbolt.SchemaVersion + 1
		return tx.Bucket([]byte("a")).Bucket([]byte("meta")).Put([]byte("version"), v)
	}))
	_, err = goskbbolt.New(context.Background(), db, &goskbbolt.Options{Bucket: "a"})
	require.ErrorIs(t, err, goskbbolt.ErrNewerSchema)
}

// TestConcurrentClaims races claimers in every commit mode: no task is
// handed out twice while its lease holds, and every task is handed out.
func TestConcurrentClaims(t *testing.T) {
	t.Parallel()
	for _, mode := range []goskbbolt.CommitMode{goskbbolt.CommitGrouped, goskbbolt.CommitEach, goskbbolt.CommitBoltBatch} {
		t.Run(mode.String(), func(t *testing.T) {
			t.Parallel()
			d := open(t, &goskbbolt.Options{Commit: mode})
			ctx := context.Background()
			const n = 200
			batch := make([]driver.NewTask, n)
			for i := range batch {
				batch[i] = newTask("q")
			}
			create(t, d, batch...)
			var seen sync.Map
			var claimed atomic.Int64
			var wg sync.WaitGroup
			for range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						got, err := d.Claim(ctx, driver.ClaimParams{Queue: "q", Limit: 7, Rule: driver.Fifo, Lease: time.Hour})
						if err != nil {
							t.Error(err)
							return
						}
						if len(got) == 0 {
							return
						}
						outs := make([]driver.Outcome, len(got))
						for i, c := range got {
							if _, dup := seen.LoadOrStore(c.Task.ID, true); dup {
								t.Errorf("task %d claimed twice", c.Task.ID)
							}
							outs[i] = driver.Outcome{Lease: c.Lease, Kind: driver.Complete}
						}
						claimed.Add(int64(len(got)))
						errs, err := d.Finish(ctx, outs)
						if err != nil {
							t.Error(err)
							return
						}
						for _, e := range errs {
							if e != nil {
								t.Error(e)
							}
						}
					}
				}()
			}
			wg.Wait()
			require.Equal(t, int64(n), claimed.Load())
			counts, err := d.Count(ctx, "q")
			require.NoError(t, err)
			require.Equal(t, int64(n), counts[driver.StateCompleted])
		})
	}
}

func TestInvalidInput(t *testing.T) {
	t.Parallel()
	d := open(t, nil)
	ctx := context.Background()
	_, err := d.Create(ctx, []driver.NewTask{{Queue: "bad queue", MaxAttempts: 1}})
	require.ErrorIs(t, err, driver.ErrInvalid)
	_, err = d.Claim(ctx, driver.ClaimParams{Queue: "q", Lease: time.Second})
	require.ErrorIs(t, err, driver.ErrUnsupportedPriorityRule)
	_, err = d.Ping(ctx, []driver.Lease{{TaskID: 1}, {TaskID: 1}}, time.Second)
	require.ErrorIs(t, err, driver.ErrInvalid)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = d.Create(cctx, []driver.NewTask{newTask("q")})
	require.ErrorIs(t, err, context.Canceled)
}

func TestResultSurvivesReopen(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "gosk.db")
	d, err := goskbbolt.Open(context.Background(), path, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close() })
	adaptertest.ResultSurvivesReopen(t, d, func() driver.Driver {
		d2, err := goskbbolt.Open(context.Background(), path, nil)
		require.NoError(t, err)
		t.Cleanup(func() { _ = d2.Close() })
		return d2
	})
}
