package drivertest

import (
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
)

// importCallers and importTasks size the concurrent-import rule: callers
// that import the same batch at once, and the batch.
const (
	importCallers = 8
	importTasks   = 20
)

// importer returns the driver's Importer, or skips or fails the subtest as
// the harness's exemptions say.
func (f *fixture) importer() driver.Importer {
	f.t.Helper()
	im, ok := f.d.(driver.Importer)
	if !ok {
		f.s.missing(f.t, CapImport, "the driver does not implement driver.Importer")
	}
	return im
}

// importAll imports tasks, failing on a call error or a result that does
// not line up, and returns the results.
func (f *fixture) importAll(im driver.Importer, tasks ...driver.ImportTask) []driver.ImportResult {
	f.t.Helper()
	res, err := im.Import(f.ctx, tasks)
	require.NoError(f.t, err, "Import")
	require.Len(f.t, res, len(tasks), "Import must return one result per task")
	return res
}

// imported checks that r is the result of a call that stored its task.
func (f *fixture) imported(r driver.ImportResult, what string) int64 {
	f.t.Helper()
	require.NoError(f.t, r.Err, "%s: Import's result error", what)
	require.True(f.t, r.Imported, "%s: Import must store a task whose origin it has not seen", what)
	require.Positive(f.t, r.ID, "%s: an imported task has its new ID", what)
	return r.ID
}

// importTime is a time on the origin: whole seconds ago on the store's
// clock, with microseconds that a store must keep and nanoseconds that it
// drops.
func importTime(now time.Time, ago time.Duration) time.Time {
	return now.Add(-ago).Truncate(time.Second).Add(654321*time.Microsecond + 987*time.Nanosecond)
}

// origin returns a pending task of queue q as its origin store holds it:
// ID id, tried once, failed once, created three hours and due two hours
// before now.
func origin(q string, id int64, now time.Time) driver.ImportTask {
	return driver.ImportTask{Origin: "origin-store", Task: driver.TaskRecord{
		ID:          id,
		Queue:       q,
		Payload:     []byte("moved " + strconv.FormatInt(id, 10)),
		State:       driver.StatePending,
		Attempt:     1,
		MaxAttempts: 3,
		LastError:   "the first try failed",
		CreatedAt:   importTime(now, 3*time.Hour),
		RunAt:       importTime(now, 2*time.Hour),
	}}
}

// finalOrigin is origin for a task that ended in state st an hour ago.
func finalOrigin(q string, id int64, now time.Time, st driver.State) driver.ImportTask {
	it := origin(q, id, now)
	it.Task.State = st
	it.Task.Attempt = 2
	it.Task.FinalizedAt = importTime(now, time.Hour)
	if st == driver.StateCompleted {
		it.Task.Result = resultBytes(50, byte(id))
	}
	return it
}

// sameRecord checks that got is the imported record of want, under its
// new ID.
func sameRecord(t *testing.T, want driver.TaskRecord, got driver.TaskRecord, what string) {
	t.Helper()
	us := func(tm time.Time) time.Time { return tm.Truncate(time.Microsecond) }
	assert.Equal(t, want.Queue, got.Queue, "%s: queue", what)
	assert.Equal(t, want.Payload, got.Payload, "%s: payload", what)
	assert.Equal(t, want.Priority, got.Priority, "%s: priority", what)
	assert.Equal(t, want.UniqueKey, got.UniqueKey, "%s: unique key", what)
	assert.Equal(t, want.State, got.State, "%s: state", what)
	assert.Equal(t, want.Attempt, got.Attempt, "%s: rule: the attempts used on the origin are kept", what)
	assert.Equal(t, want.MaxAttempts, got.MaxAttempts, "%s: max attempts", what)
	assert.Equal(t, want.LastError, got.LastError, "%s: rule: the last error from the origin is kept", what)
	assert.True(t, us(want.CreatedAt).Equal(got.CreatedAt), "%s: rule: created-at is kept to the microsecond: got %v, want %v", what, got.CreatedAt, us(want.CreatedAt))
	assert.True(t, us(want.RunAt).Equal(got.RunAt), "%s: rule: run-at is kept to the microsecond: got %v, want %v", what, got.RunAt, us(want.RunAt))
	assert.True(t, us(want.FinalizedAt).Equal(got.FinalizedAt), "%s: rule: finalised-at is kept to the microsecond: got %v, want %v", what, got.FinalizedAt, us(want.FinalizedAt))
	assert.True(t, got.LeaseExpiresAt.IsZero(), "%s: an imported task holds no lease", what)
	if len(want.Result) == 0 {
		assert.Nil(t, got.Result, "%s: no result", what)
	} else {
		assert.Equal(t, want.Result, got.Result, "%s: rule: a completed task's result is kept", what)
	}
}

// importRules are the rules of Importer.Import.
var importRules = []rule{
	{name: "PendingKeepsItsRecord", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		im := f.importer()
		q := f.queue()
		in := origin(q, 41, f.storeNow())
		in.Task.Priority = -7
		in.Task.UniqueKey = "moved-key"
		id := f.imported(f.importAll(im, in)[0], "a pending task")
		sameRecord(t, in.Task, f.get(id), "Get of the imported task")
		c := f.claimOne(q, longLease)
		assert.Equal(t, id, c.Task.ID, "the imported task is claimed")
		assert.Equal(t, in.Task.Attempt+1, c.Task.Attempt, "rule: a claim counts one attempt on top of those used on the origin")
		assert.Equal(t, in.Task.LastError, c.Task.LastError, "the claimed task still has its last error")
	}},
	{name: "FinalKeepsItsRecord", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		im := f.importer()
		a := f.admin()
		q := f.queue()
		now := f.storeNow()
		in := []driver.ImportTask{
			finalOrigin(q, 1, now, driver.StateCompleted),
			finalOrigin(q, 2, now, driver.StateCancelled),
			finalOrigin(q, 3, now, driver.StateFailed),
		}
		in[1].Task.UniqueKey = "a key that holds no more"
		res := f.importAll(im, in...)
		for i, r := range res {
			id := f.imported(r, string(in[i].Task.State)+" task")
			sameRecord(t, in[i].Task, f.get(id), "Get of the imported "+string(in[i].Task.State)+" task")
			sameRecord(t, in[i].Task, f.listed(a, q, id), "List of the imported "+string(in[i].Task.State)+" task")
		}
		f.claimNone(q, "final tasks are never handed out")
		counts, err := a.Count(f.ctx, q)
		require.NoError(t, err)
		assert.Equal(t, map[driver.State]int64{driver.StateCompleted: 1, driver.StateCancelled: 1, driver.StateFailed: 1,
			driver.StatePending: 0, driver.StateRunning: 0}, counts, "Count sees the imported tasks in their states")
		f.create(driver.NewTask{Queue: q, Payload: []byte("x"), MaxAttempts: 1, UniqueKey: in[1].Task.UniqueKey})
	}},
	{name: "SameOriginStoredOnce", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		im := f.importer()
		a := f.admin()
		q := f.queue()
		now := f.storeNow()
		first := f.importAll(im, origin(q, 1, now), finalOrigin(q, 2, now, driver.StateCompleted))
		again := f.importAll(im, origin(q, 3, now), finalOrigin(q, 2, now, driver.StateCompleted), origin(q, 1, now))
		id3 := f.imported(again[0], "a new origin task beside ones imported before")
		for _, c := range []struct {
			got  driver.ImportResult
			want driver.ImportResult
		}{{again[2], first[0]}, {again[1], first[1]}} {
			assert.NoError(t, c.got.Err, "an origin imported before is no error")
			assert.False(t, c.got.Imported, "rule: an origin task imported before is not stored again")
			assert.Equal(t, c.want.ID, c.got.ID, "rule: the result names the task it was imported as")
		}
		other := origin(q, 1, now)
		other.Origin = "another-store"
		idOther := f.imported(f.importAll(im, other)[0], "the same ID from another origin")
		assert.NotContains(t, []int64{first[0].ID, first[1].ID, id3}, idOther, "a task of another origin is a task of its own")
		q2 := f.queue()
		elsewhere := f.imported(f.importAll(im, origin(q2, 1, now))[0], "rule: an origin is recorded per queue: into another queue, the same origin task is a task of its own")
		assert.NotEqual(t, first[0].ID, elsewhere, "a task of its own")
		counts, err := a.Count(f.ctx, q)
		require.NoError(t, err)
		assert.Equal(t, int64(3), counts[driver.StatePending], "three pending tasks: two origins of task 1, and task 3")
		assert.Equal(t, int64(1), counts[driver.StateCompleted], "one completed task, imported once")
	}},
	{name: "OriginOutlivesTask", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		im := f.importer()
		a := f.admin()
		q := f.queue()
		in := finalOrigin(q, 9, f.storeNow(), driver.StateCompleted)
		id := f.imported(f.importAll(im, in)[0], "a completed task")
		n, err := a.Purge(f.ctx, driver.PurgeParams{Queue: q})
		require.NoError(t, err)
		require.Equal(t, 1, n, "Purge deletes the imported task")
		r := f.importAll(im, in)[0]
		assert.False(t, r.Imported, "rule: the record of an origin outlives its task: a purged task is not imported again")
		assert.Equal(t, id, r.ID, "the result names the task it was imported as")
		counts, err := a.Count(f.ctx, q)
		require.NoError(t, err)
		assert.Zero(t, counts[driver.StateCompleted], "nothing was stored again")
	}},
	{name: "OriginOutlivesDriver", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		im := f.importer()
		q := f.queue()
		in := origin(q, 5, f.storeNow())
		id := f.imported(f.importAll(im, in)[0], "a pending task")
		g := f.again()
		r := g.importAll(g.importer(), in)[0]
		assert.False(t, r.Imported, "rule: a second driver on the store knows the origins the first imported")
		assert.Equal(t, id, r.ID, "the result names the task it was imported as")
		assert.Equal(t, []int64{id}, ids(g.claim(q, driver.Fifo, 10, longLease)), "one task, imported once")
	}},
	{name: "HeldUniqueKeyStoresNothing", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		im := f.importer()
		q := f.queue()
		now := f.storeNow()
		holder := f.create(driver.NewTask{Queue: q, Payload: []byte("holder"), MaxAttempts: 3, UniqueKey: "k"})[0]
		in := origin(q, 7, now)
		in.Task.UniqueKey = "k"
		final := finalOrigin(q, 8, now, driver.StateCancelled)
		final.Task.UniqueKey = "k"
		res := f.importAll(im, in, final)
		assert.ErrorIs(t, res[0].Err, driver.ErrDuplicate, "rule: a pending task whose key is held is not stored")
		assert.Equal(t, holder, res[0].ID, "ErrDuplicate names the holder")
		assert.False(t, res[0].Imported, "a duplicate is not imported")
		f.imported(res[1], "a final task, whose key holds nothing")
		c := f.claimOne(q, longLease)
		require.Equal(t, holder, c.Task.ID, "only the holder is pending")
		require.NoError(t, f.finish(outcome(c.Lease, driver.Complete)))
		id := f.imported(f.importAll(im, in)[0], "rule: a duplicate's origin is not recorded: once the key is free, the task is imported")
		assert.Equal(t, id, f.claimOne(q, longLease).Task.ID, "the imported task is pending")
	}},
	{name: "KeysInOneBatchAndAfter", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		im := f.importer()
		q := f.queue()
		now := f.storeNow()
		a, b := origin(q, 1, now), origin(q, 2, now)
		a.Task.UniqueKey, b.Task.UniqueKey = "same", "same"
		res := f.importAll(im, a, b)
		id := f.imported(res[0], "the first of two pending tasks with one key")
		assert.ErrorIs(t, res[1].Err, driver.ErrDuplicate, "rule: the second task of a batch with a key the first took is a duplicate")
		assert.Equal(t, id, res[1].ID, "ErrDuplicate names the first")
		cr, err := f.d.Create(f.ctx, []driver.NewTask{{Queue: q, Payload: []byte("late"), MaxAttempts: 1, UniqueKey: "same"}})
		require.NoError(t, err)
		assert.ErrorIs(t, cr[0].Err, driver.ErrDuplicate, "rule: an imported pending task holds its key against Create")
		assert.Equal(t, id, cr[0].ID, "ErrDuplicate names the imported task")
	}},
	{name: "TakesItsPlaceByRunAt", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		im := f.importer()
		q := f.queue()
		now := f.storeNow()
		created := f.create(task(q, "created now"))[0]
		early := origin(q, 1, now)
		later := origin(q, 2, now)
		later.Task.RunAt = now.Add(farDelay)
		res := f.importAll(im, later, early)
		idEarly := f.imported(res[1], "a task due two hours ago")
		f.imported(res[0], "a task due in an hour")
		got := ids(f.claim(q, driver.Fifo, 10, longLease))
		assert.Equal(t, []int64{idEarly, created}, got, "rule: an imported task takes its place in the order by its run-at, and one not yet due waits")
	}},
	{name: "PurgedByFinalizedAt", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		im := f.importer()
		a := f.admin()
		q := f.queue()
		now := f.storeNow()
		old := finalOrigin(q, 1, now, driver.StateFailed)
		old.Task.FinalizedAt = now.Add(-3 * time.Hour)
		recent := finalOrigin(q, 2, now, driver.StateFailed)
		recent.Task.CreatedAt = now.Add(-5 * time.Hour)
		recent.Task.FinalizedAt = now.Add(-time.Minute)
		res := f.importAll(im, old, recent)
		f.imported(res[0], "an old final task")
		keep := f.imported(res[1], "a recent final task")
		n, err := a.Purge(f.ctx, driver.PurgeParams{Queue: q, OlderThan: time.Hour})
		require.NoError(t, err)
		assert.Equal(t, 1, n, "rule: Purge goes by the finalised-at the task brought, not by when it was imported")
		assert.Equal(t, keep, f.get(keep).ID, "the recent task stays")
	}},
	{name: "InvalidInputStoresNothing", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		im := f.importer()
		a := f.admin()
		q := f.queue()
		now := f.storeNow()
		bad := map[string]func(*driver.ImportTask){
			"no origin":           func(it *driver.ImportTask) { it.Origin = "" },
			"origin with NUL":     func(it *driver.ImportTask) { it.Origin = "a\x00b" },
			"origin ID zero":      func(it *driver.ImportTask) { it.Task.ID = 0 },
			"running":             func(it *driver.ImportTask) { it.Task.State = driver.StateRunning },
			"unknown state":       func(it *driver.ImportTask) { it.Task.State = "paused" },
			"attempts over max":   func(it *driver.ImportTask) { it.Task.Attempt = 4 },
			"negative attempt":    func(it *driver.ImportTask) { it.Task.Attempt = -1 },
			"no created-at":       func(it *driver.ImportTask) { it.Task.CreatedAt = time.Time{} },
			"no run-at":           func(it *driver.ImportTask) { it.Task.RunAt = time.Time{} },
			"a lease":             func(it *driver.ImportTask) { it.Task.LeaseExpiresAt = now },
			"pending finalised":   func(it *driver.ImportTask) { it.Task.FinalizedAt = now },
			"result when pending": func(it *driver.ImportTask) { it.Task.Result = []byte("r") },
			"bad queue":           func(it *driver.ImportTask) { it.Task.Queue = "no spaces" },
			"zero max attempts":   func(it *driver.ImportTask) { it.Task.MaxAttempts, it.Task.Attempt = 0, 0 },
			"last error with NUL": func(it *driver.ImportTask) { it.Task.LastError = "a\x00" },
			"payload over limit":  func(it *driver.ImportTask) { it.Task.Payload = make([]byte, f.s.payloadLimit()+1) },
			"final, no finalised": func(it *driver.ImportTask) { it.Task.State = driver.StateFailed },
			"result over limit": func(it *driver.ImportTask) {
				*it = finalOrigin(q, 6, now, driver.StateCompleted)
				it.Task.Result = make([]byte, driver.MaxResultLen+1)
			},
			"origin named twice":    nil,
			"unique key with NUL":   func(it *driver.ImportTask) { it.Task.UniqueKey = "k\x00" },
			"priority out of range": func(it *driver.ImportTask) { it.Task.Priority = driver.MaxPriority + 1 },
			"run-at in 2200":        func(it *driver.ImportTask) { it.Task.RunAt = driver.MaxImportTime },
			"created at the epoch":  func(it *driver.ImportTask) { it.Task.CreatedAt = time.Unix(0, 0) },
		}
		for name, spoil := range bad {
			good := origin(q, 1, now)
			wrong := origin(q, 2, now)
			if spoil == nil {
				wrong = origin(q, 1, now)
			} else {
				spoil(&wrong)
			}
			res, err := im.Import(f.ctx, []driver.ImportTask{good, wrong})
			assert.ErrorIs(t, err, driver.ErrInvalid, "rule: a batch with an invalid task (%s) is refused", name)
			assert.Nil(t, res, "%s: a refused call returns no results", name)
		}
		counts, err := a.Count(f.ctx, q)
		require.NoError(t, err)
		for st, n := range counts {
			assert.Zero(t, n, "rule: a refused import stores nothing (%s)", st)
		}
		f.imported(f.importAll(im, origin(q, 1, now))[0], "rule: a refused import records no origin: the valid task is imported later")
	}},
	{name: "ConcurrentImportsStoreEachOnce", serial: true, test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		im := f.importer()
		q := f.queue()
		now := f.storeNow()
		batch := make([]driver.ImportTask, importTasks)
		for i := range batch {
			batch[i] = origin(q, int64(i+1), now)
		}
		var (
			wg      sync.WaitGroup
			start   = make(chan struct{})
			results = make([][]driver.ImportResult, importCallers)
			errs    = make([]error, importCallers)
		)
		for c := range importCallers {
			wg.Go(func() {
				<-start
				results[c], errs[c] = im.Import(f.ctx, batch)
			})
		}
		close(start)
		wg.Wait()
		for c := range importCallers {
			require.NoError(t, errs[c], "caller %d", c)
			require.Len(t, results[c], importTasks, "caller %d", c)
		}
		for i := range batch {
			stored := 0
			for c := range importCallers {
				r := results[c][i]
				require.NoError(t, r.Err, "caller %d, task %d", c, i)
				assert.Equal(t, results[0][i].ID, r.ID, "rule: every caller's result names the one task origin %d became", i+1)
				if r.Imported {
					stored++
				}
			}
			assert.Equal(t, 1, stored, "rule: callers importing one origin task at once store it once (task %d)", i+1)
		}
		assert.Len(t, f.claim(q, driver.Fifo, 2*importTasks, longLease), importTasks, "one task per origin task")
	}},
	{name: "WakesSubscribers", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		im := f.importer()
		n := f.notifier()
		q := f.queue()
		sub := f.subscribe(n, q)
		f.importAll(im, origin(q, 1, f.storeNow()))
		f.awaitWake(sub, "rule: importing a pending task that is due wakes the queue's subscribers")
	}},
	{name: "EmptyAndClosed", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		im := f.importer()
		res, err := im.Import(f.ctx, nil)
		require.NoError(t, err, "an empty batch is no error")
		assert.Empty(t, res, "an empty batch has no results")
		require.NoError(t, f.d.Close())
		_, err = im.Import(f.ctx, []driver.ImportTask{origin(f.queue(), 1, time.Now())})
		assert.ErrorIs(t, err, driver.ErrClosed, "rule: a closed driver imports nothing")
	}},
}
