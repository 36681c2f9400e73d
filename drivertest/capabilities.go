package drivertest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
)

// inState creates a task in queue q and brings it to state s, returning
// its ID. Queue q must hold no delayed task.
func (f *fixture) inState(q string, s driver.State) int64 {
	f.t.Helper()
	id := f.create(task(q, string(s)))[0]
	if s == driver.StatePending {
		return id
	}
	got := f.claim(q, driver.Lifo, 1, longLease)
	require.Equal(f.t, []int64{id}, ids(got), "Lifo claims the task just created")
	kind := map[driver.State]driver.OutcomeKind{
		driver.StateCompleted: driver.Complete,
		driver.StateCancelled: driver.Cancel,
		driver.StateFailed:    driver.Fail,
	}[s]
	if kind != 0 {
		require.NoError(f.t, f.finish(driver.Outcome{Lease: got[0].Lease, Kind: kind, Message: "made " + string(s)}))
	}
	return id
}

// awaitWake waits for a wake-up on sub, failing after waitLimit.
func (f *fixture) awaitWake(sub *driver.Subscription, what string) {
	f.t.Helper()
	select {
	case <-sub.Wake:
	case <-time.After(waitLimit):
		f.t.Fatalf("no wake-up within %v: %s", waitLimit, what)
	}
}

// subscribe subscribes to q and stops the subscription when the test ends.
func (f *fixture) subscribe(n driver.Notifier, q string) *driver.Subscription {
	f.t.Helper()
	sub, err := n.Subscribe(f.ctx, q)
	require.NoError(f.t, err, "Subscribe")
	require.NotNil(f.t, sub, "Subscribe returned no subscription")
	require.NotNil(f.t, sub.Wake, "a subscription has a Wake channel")
	require.NotNil(f.t, sub.Stop, "a subscription has a Stop function")
	f.t.Cleanup(sub.Stop)
	return sub
}

var notifyRules = []rule{
	{name: "WakesOnCreate", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		n := f.notifier()
		q := f.queue()
		sub := f.subscribe(n, q)
		f.create(task(q, "x"))
		f.awaitWake(sub, "creating a task wakes the queue's subscribers")
	}},
	{name: "WakesOnRelease", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		n := f.notifier()
		q := f.queue()
		f.create(task(q, "x"))
		c := f.claimOne(q, longLease)
		sub := f.subscribe(n, q) // after the create, so its wake-up cannot count
		require.NoError(t, f.finish(outcome(c.Lease, driver.Release)))
		f.awaitWake(sub, "releasing a task with no delay wakes the queue's subscribers")
	}},
	{name: "WakesOnRetry", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		n := f.notifier()
		a := f.admin()
		q := f.queue()
		id := f.inState(q, driver.StateFailed)
		sub := f.subscribe(n, q)
		errs, err := a.Retry(f.ctx, []int64{id})
		require.NoError(t, err)
		require.NoError(t, errs[0])
		f.awaitWake(sub, "retrying a task wakes the queue's subscribers")
	}},
	{name: "StopIsSafeTwiceAndEndsWithContext", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		n := f.notifier()
		q := f.queue()
		sub := f.subscribe(n, q)
		require.NotPanics(t, sub.Stop)
		require.NotPanics(t, sub.Stop, "Stop is safe to call twice")
		ctx, cancel := context.WithCancel(f.ctx)
		other, err := n.Subscribe(ctx, q)
		require.NoError(t, err)
		cancel()
		require.NotPanics(t, other.Stop, "Stop after the context ended")
		live := f.subscribe(n, q)
		f.create(task(q, "x"))
		f.awaitWake(live, "a live subscription still wakes after others stopped")
	}},
	{name: "SubscribeRefusesBadQueue", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		n := f.notifier()
		sub, err := n.Subscribe(f.ctx, "")
		assert.ErrorIs(t, err, driver.ErrInvalid, "Subscribe with an empty queue name")
		if sub != nil {
			sub.Stop()
		}
	}},
}

var adminRules = []rule{
	{name: "CountHasEveryState", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		a := f.admin()
		q := f.queue()
		empty, err := a.Count(f.ctx, q)
		require.NoError(t, err)
		for _, st := range driver.States() {
			v, ok := empty[st]
			assert.True(t, ok, "Count of an empty queue has state %v", st)
			assert.Zero(t, v, "Count of an empty queue is zero for %v", st)
		}
		want := map[driver.State]int64{
			driver.StateCompleted: 3, driver.StateCancelled: 1, driver.StateFailed: 2,
			driver.StateRunning: 2, driver.StatePending: 4,
		}
		for _, st := range []driver.State{driver.StateCompleted, driver.StateCancelled, driver.StateFailed, driver.StateRunning, driver.StatePending} {
			for range want[st] {
				f.inState(q, st)
			}
		}
		f.inState(f.queue(), driver.StatePending) // another queue's task is not counted
		got, err := a.Count(f.ctx, q)
		require.NoError(t, err)
		assert.Equal(t, want, got, "Count counts every state of the queue")
	}},
	{name: "ListInIDOrderWithCursor", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		a := f.admin()
		q := f.queue()
		created := f.createN(q, 5)
		f.createN(f.queue(), 2)
		var got []int64
		var after int64
		for range 4 {
			page, err := a.List(f.ctx, driver.ListParams{Queue: q, AfterID: after, Limit: 2})
			require.NoError(t, err)
			require.LessOrEqual(t, len(page), 2, "List returns at most Limit tasks")
			if len(page) == 0 {
				break
			}
			for _, r := range page {
				assert.Equal(t, q, r.Queue, "List returns only its queue's tasks")
				got = append(got, r.ID)
			}
			after = page[len(page)-1].ID
		}
		assert.Equal(t, created, got, "List pages through the queue in ascending ID order after the cursor")
	}},
	{name: "ListReturnsWholeRecords", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		a := f.admin()
		q := f.queue()
		f.create(driver.NewTask{Queue: q, Payload: []byte("p"), Priority: 3, MaxAttempts: 4, UniqueKey: "k"})
		f.create(driver.NewTask{Queue: q, MaxAttempts: 1})
		for _, st := range []driver.State{driver.StateRunning, driver.StateFailed} {
			f.inState(q, st)
		}
		recs, err := a.List(f.ctx, driver.ListParams{Queue: q})
		require.NoError(t, err)
		require.Len(t, recs, 4)
		for _, r := range recs {
			f.unchanged(f.get(r.ID), r, "rule: List returns each task's whole record, as Get reads it (task %d)", r.ID)
		}
	}},
	{name: "ListZeroLimitMeansDefault", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		a := f.admin()
		q := f.queue()
		f.createN(q, driver.DefaultListLimit+1)
		got, err := a.List(f.ctx, driver.ListParams{Queue: q})
		require.NoError(t, err)
		assert.Len(t, got, driver.DefaultListLimit, "List with limit 0 returns driver.DefaultListLimit tasks")
	}},
	{name: "ListFiltersByState", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		a := f.admin()
		q := f.queue()
		done := f.inState(q, driver.StateCompleted)
		failed := f.inState(q, driver.StateFailed)
		running := f.inState(q, driver.StateRunning)
		pending := f.inState(q, driver.StatePending)
		list := func(states ...driver.State) []int64 {
			recs, err := a.List(f.ctx, driver.ListParams{Queue: q, States: states})
			require.NoError(t, err)
			out := make([]int64, len(recs))
			for i, r := range recs {
				out[i] = r.ID
			}
			return out
		}
		assert.Equal(t, []int64{done, failed, running, pending}, list(), "no states means every state")
		assert.Equal(t, []int64{running}, list(driver.StateRunning))
		assert.Equal(t, []int64{done, failed}, list(driver.StateCompleted, driver.StateFailed))
		assert.Empty(t, list(driver.StateCancelled))
	}},
	{name: "ListCursorWithinStateFilter", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		a := f.admin()
		q := f.queue()
		var want []int64
		for i := range 6 {
			st := driver.StatePending
			if i%2 == 1 {
				st = driver.StateCompleted
			}
			id := f.inState(q, st)
			if st == driver.StateCompleted {
				want = append(want, id)
			}
		}
		var got []int64
		var after int64
		for range len(want) + 1 {
			page, err := a.List(f.ctx, driver.ListParams{Queue: q, States: []driver.State{driver.StateCompleted}, AfterID: after, Limit: 1})
			require.NoError(t, err)
			if len(page) == 0 {
				break
			}
			require.Len(t, page, 1, "List returns at most Limit tasks")
			got = append(got, page[0].ID)
			after = page[0].ID
		}
		assert.Equal(t, want, got, "rule: List pages through the tasks of the given states in ID order after the cursor")
	}},
	{name: "RetryResetsAttemptsKeepsLastError", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		a := f.admin()
		q := f.queue()
		failed := f.inState(q, driver.StateFailed)
		cancelled := f.inState(q, driver.StateCancelled)
		errs, err := a.Retry(f.ctx, []int64{failed, cancelled})
		require.NoError(t, err)
		require.Len(t, errs, 2)
		lastError := map[int64]string{failed: "made failed", cancelled: "made cancelled"} // as inState finishes them
		for i, id := range []int64{failed, cancelled} {
			require.NoError(t, errs[i], "Retry of a failed or cancelled task")
			r := f.get(id)
			assert.Equal(t, driver.StatePending, r.State, "a retried task is pending")
			assert.Zero(t, r.Attempt, "Retry resets the attempt count")
			assert.Equal(t, lastError[id], r.LastError, "Retry keeps the last error")
			assert.True(t, r.FinalizedAt.IsZero(), "a retried task is no longer final")
		}
		got := f.claim(q, driver.Fifo, 10, longLease)
		assert.ElementsMatch(t, []int64{failed, cancelled}, ids(got), "retried tasks are available at once")
		for _, c := range got {
			assert.Equal(t, 1, c.Task.Attempt, "the claim after a retry is the first attempt")
		}
	}},
	{name: "RetryMakesDelayedTaskAvailableNow", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		a := f.admin()
		q := f.queue()
		later := task(q, "later")
		later.Delay = farDelay
		id := f.create(later)[0]
		errs, err := a.Cancel(f.ctx, []int64{id})
		require.NoError(t, err)
		require.NoError(t, errs[0], "Cancel of a pending task")
		errs, err = a.Retry(f.ctx, []int64{id})
		require.NoError(t, err)
		require.NoError(t, errs[0], "Retry of a cancelled task")
		r := f.get(id)
		assert.True(t, r.RunAt.Before(r.CreatedAt.Add(farDelay/2)), "rule: Retry sets run-at to now, not the run-at the task had (run-at %v, created %v)", r.RunAt, r.CreatedAt)
		got := f.claim(q, driver.Fifo, 1, longLease)
		assert.Equal(t, []int64{id}, ids(got), "rule: a retried task is available at once, whatever its run-at was")
	}},
	{name: "RetryRefusesKeyTakenMeanwhile", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		a := f.admin()
		q := f.queue()
		u := driver.NewTask{Queue: q, Payload: []byte("first"), MaxAttempts: 1, UniqueKey: "k"}
		first := f.create(u)[0]
		c := f.claimOne(q, longLease)
		require.NoError(t, f.finish(driver.Outcome{Lease: c.Lease, Kind: driver.Fail, Message: "first failed"}))
		before := f.get(first)
		u.Payload = []byte("second")
		second := f.create(u)[0] // the failed task no longer holds the key
		require.NotEqual(t, first, second, "a final task frees its unique key")
		errs, err := a.Retry(f.ctx, []int64{first})
		require.NoError(t, err, "a taken key is a per-item error, not a failure of the call")
		require.Len(t, errs, 1)
		assert.ErrorIs(t, errs[0], driver.ErrDuplicate, "rule: Retry of a task whose unique key another pending task now holds is ErrDuplicate")
		assert.NotErrorIs(t, errs[0], driver.ErrTaskConflict, "rule: a taken key is ErrDuplicate, not the ErrTaskConflict of a task in the wrong state")
		f.unchanged(before, f.get(first), "rule: a Retry refused for a taken key leaves the task as it was")
		got := f.claim(q, driver.Fifo, 10, longLease)
		require.Equal(t, []int64{second}, ids(got), "rule: a refused Retry makes nothing available; only the key's holder is")
		require.NoError(t, f.finish(outcome(got[0].Lease, driver.Complete)))
		errs, err = a.Retry(f.ctx, []int64{first})
		require.NoError(t, err)
		require.NoError(t, errs[0], "rule: once the holder is final, the key is free and Retry applies")
		res, err := f.d.Create(f.ctx, []driver.NewTask{u})
		require.NoError(t, err)
		assert.ErrorIs(t, res[0].Err, driver.ErrDuplicate, "rule: a retried task holds its unique key again")
		assert.Equal(t, first, res[0].ID, "rule: a retried task holds its unique key again")
	}},
	{name: "RetryKeyTakenEarlierInBatchIsDuplicate", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		a := f.admin()
		q := f.queue()
		u := driver.NewTask{Queue: q, MaxAttempts: 1, UniqueKey: "k"}
		var cancelled []int64
		for range 2 {
			id := f.create(u)[0]
			errs, err := a.Cancel(f.ctx, []int64{id})
			require.NoError(t, err)
			require.NoError(t, errs[0], "Cancel of a pending task")
			cancelled = append(cancelled, id)
		}
		before := f.get(cancelled[1])
		errs, err := a.Retry(f.ctx, cancelled)
		require.NoError(t, err, "a key taken within the batch is a per-item error, not a failure of the call")
		require.Len(t, errs, 2)
		assert.NoError(t, errs[0], "rule: the first task of a Retry batch takes its free unique key")
		assert.ErrorIs(t, errs[1], driver.ErrDuplicate, "rule: a unique key taken earlier in the same Retry batch is ErrDuplicate")
		assert.Equal(t, driver.StatePending, f.get(cancelled[0]).State, "the first task was retried")
		f.unchanged(before, f.get(cancelled[1]), "rule: a Retry refused for a taken key leaves the task as it was")
	}},
	{name: "RetryRefusesUnfinishedAndCompleted", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		a := f.admin()
		q := f.queue()
		done := f.inState(q, driver.StateCompleted)
		running := f.inState(q, driver.StateRunning)
		pending := f.inState(q, driver.StatePending)
		errs, err := a.Retry(f.ctx, []int64{done, running, pending, unknownID})
		require.NoError(t, err)
		require.Len(t, errs, 4)
		assert.ErrorIs(t, errs[0], driver.ErrTaskConflict, "Retry of a completed task")
		assert.ErrorIs(t, errs[1], driver.ErrTaskConflict, "Retry of a running task")
		assert.ErrorIs(t, errs[2], driver.ErrTaskConflict, "Retry of a pending task")
		assert.ErrorIs(t, errs[3], driver.ErrTaskNotFound, "Retry of an unknown ID")
		assert.Equal(t, driver.StateCompleted, f.get(done).State)
		assert.Equal(t, driver.StateRunning, f.get(running).State)
	}},
	{name: "CancelPendingAndRunningRefusesFinal", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		a := f.admin()
		q := f.queue()
		done := f.inState(q, driver.StateCompleted)
		running := f.inState(q, driver.StateRunning)
		pending := f.inState(q, driver.StatePending)
		errs, err := a.Cancel(f.ctx, []int64{pending, running, done, unknownID})
		require.NoError(t, err)
		require.Len(t, errs, 4)
		assert.NoError(t, errs[0], "Cancel of a pending task")
		assert.NoError(t, errs[1], "Cancel of a running task")
		assert.ErrorIs(t, errs[2], driver.ErrTaskConflict, "Cancel of a final task")
		assert.ErrorIs(t, errs[3], driver.ErrTaskNotFound, "Cancel of an unknown ID")
		for _, id := range []int64{pending, running} {
			r := f.get(id)
			assert.Equal(t, driver.StateCancelled, r.State)
			assert.False(t, r.FinalizedAt.IsZero(), "a cancelled task has a finalisation time")
		}
		assert.Equal(t, driver.StateCompleted, f.get(done).State, "Cancel of a final task changes nothing")
		f.claimNone(q, "cancelled tasks are not handed out")
	}},
	{name: "CancelFreesUniqueKey", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		a := f.admin()
		for _, st := range []driver.State{driver.StatePending, driver.StateRunning} {
			q := f.queue()
			u := driver.NewTask{Queue: q, MaxAttempts: 1, UniqueKey: "k"}
			id := f.create(u)[0]
			if st == driver.StateRunning {
				f.claimOne(q, longLease)
			}
			errs, err := a.Cancel(f.ctx, []int64{id})
			require.NoError(t, err)
			require.NoError(t, errs[0])
			assert.NotEqual(t, id, f.create(u)[0], "rule: a task cancelled while %v no longer holds its unique key", st)
		}
	}},
	{name: "PurgeBoundedByLimit", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		a := f.admin()
		q := f.queue()
		var final []int64
		for range 5 {
			final = append(final, f.inState(q, driver.StateCompleted))
		}
		var deleted []int
		for range 4 {
			n, err := a.Purge(f.ctx, driver.PurgeParams{Queue: q, Limit: 2})
			require.NoError(t, err)
			deleted = append(deleted, n)
			if n < 2 {
				break
			}
		}
		assert.Equal(t, []int{2, 2, 1}, deleted, "Purge deletes at most Limit tasks per call until none are left")
		for _, id := range final {
			_, err := f.d.Get(f.ctx, id)
			assert.ErrorIs(t, err, driver.ErrTaskNotFound, "a purged task is gone")
		}
		next := f.create(task(q, "after purge"))[0]
		assert.NotContains(t, final, next, "IDs are never reused")
	}},
	{name: "PurgeZeroLimitMeansDefault", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		a := f.admin()
		q := f.queue()
		const n = driver.DefaultPurgeLimit + 1
		f.createN(q, n)
		got := f.claim(q, driver.Fifo, n, longLease)
		require.Len(t, got, n)
		outcomes := make([]driver.Outcome, n)
		for i, c := range got {
			outcomes[i] = outcome(c.Lease, driver.Complete)
		}
		errs, err := f.d.Finish(f.ctx, outcomes)
		require.NoError(t, err)
		for i, e := range errs {
			require.NoError(t, e, "outcome %d", i)
		}
		first, err := a.Purge(f.ctx, driver.PurgeParams{Queue: q})
		require.NoError(t, err)
		assert.Equal(t, driver.DefaultPurgeLimit, first, "Purge with limit 0 deletes up to driver.DefaultPurgeLimit tasks")
		second, err := a.Purge(f.ctx, driver.PurgeParams{Queue: q})
		require.NoError(t, err)
		assert.Equal(t, n-first, second, "the next Purge deletes the rest")
	}},
	{name: "PurgeRespectsOlderThan", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		a := f.admin()
		q := f.queue()
		id := f.inState(q, driver.StateFailed)
		n, err := a.Purge(f.ctx, driver.PurgeParams{Queue: q, OlderThan: time.Hour})
		require.NoError(t, err)
		assert.Zero(t, n, "a task finalised just now is not older than an hour")
		f.get(id)
		n, err = a.Purge(f.ctx, driver.PurgeParams{Queue: q})
		require.NoError(t, err)
		assert.Equal(t, 1, n, "OlderThan zero purges every final task")
	}},
	{name: "PurgeOldestFinalisedFirst", test: func(t *testing.T, s *suite) {
		f, tl := s.timed(t)
		a := f.admin()
		q := f.queue()
		f.createN(q, 3)
		c := f.claim(q, driver.Fifo, 3, longLease)
		require.Len(t, c, 3)
		// Finalised in an order that is neither ID order nor any order of
		// the final states: failed first, then cancelled, then completed.
		kinds := []driver.OutcomeKind{driver.Fail, driver.Cancel, driver.Complete}
		var byAge []int64
		for i, k := range kinds {
			l := c[len(c)-1-i].Lease
			require.NoError(t, f.finish(outcome(l, k)))
			tl.step()
			byAge = append(byAge, l.TaskID)
		}
		for i, id := range byAge {
			n, err := a.Purge(f.ctx, driver.PurgeParams{Queue: q, Limit: 1})
			require.NoError(t, err)
			require.Equal(t, 1, n, "Purge with limit 1 deletes one task")
			_, err = f.d.Get(f.ctx, id)
			assert.ErrorIs(t, err, driver.ErrTaskNotFound, "rule: Purge deletes the oldest finalised task first (purge %d)", i+1)
			for _, left := range byAge[i+1:] {
				_, err = f.d.Get(f.ctx, left)
				assert.NoError(t, err, "rule: Purge deletes the oldest finalised task first; task %d was finalised later (purge %d)", left, i+1)
			}
		}
	}},
	{name: "PurgeOnlyFinalisedBeforeCutoff", test: func(t *testing.T, s *suite) {
		f, tl := s.timed(t)
		a := f.admin()
		q := f.queue()
		if tl.c != nil {
			// On the suite's clock the cutoff is exact: a task finalised
			// OlderThan ago to the millisecond is purged, one finalised a
			// millisecond later is kept.
			const age = time.Hour
			old := f.inState(q, driver.StateCompleted)
			tl.pass(time.Millisecond)
			recent := f.inState(q, driver.StateCancelled)
			tl.pass(age - time.Millisecond)
			n, err := a.Purge(f.ctx, driver.PurgeParams{Queue: q, OlderThan: age})
			require.NoError(t, err)
			assert.Equal(t, 1, n, "rule: Purge deletes the tasks finalised at least OlderThan ago, and only those")
			_, err = f.d.Get(f.ctx, old)
			assert.ErrorIs(t, err, driver.ErrTaskNotFound, "rule: a task finalised exactly OlderThan ago is purged")
			f.get(recent)
			return
		}
		// On the store's clock, the recent task is kept only if the purge
		// comes less than the age after its finalisation; a probe written
		// just after the purge shows that it did.
		const age = time.Second
		old := f.inState(q, driver.StateCompleted)
		tl.reach(f.get(old).FinalizedAt.Add(age))
		recent := f.inState(q, driver.StateCancelled)
		recentAt := f.get(recent).FinalizedAt
		var n int
		var err error
		_, hi := tl.around(func() { n, err = a.Purge(f.ctx, driver.PurgeParams{Queue: q, OlderThan: age}) })
		require.NoError(t, err)
		require.True(t, hi.Before(recentAt.Add(age)), "the machine took %v from a finalisation to the purge after it, longer than the purge age of %v: cannot tell which tasks the purge should keep", hi.Sub(recentAt), age)
		assert.Equal(t, 1, n, "rule: Purge deletes the tasks finalised at least OlderThan ago, and only those")
		_, err = f.d.Get(f.ctx, old)
		assert.ErrorIs(t, err, driver.ErrTaskNotFound, "rule: a task finalised more than OlderThan ago is purged")
		f.get(recent)
	}},
	{name: "PurgeKeepsUnfinishedAndOtherQueues", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		a := f.admin()
		q, other := f.queue(), f.queue()
		running := f.inState(q, driver.StateRunning)
		pending := f.inState(q, driver.StatePending)
		elsewhere := f.inState(other, driver.StateCompleted)
		n, err := a.Purge(f.ctx, driver.PurgeParams{Queue: q})
		require.NoError(t, err)
		assert.Zero(t, n, "Purge deletes only final tasks of its queue")
		for _, id := range []int64{running, pending, elsewhere} {
			f.get(id)
		}
	}},
	{name: "RefusesBadInput", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		a := f.admin()
		q := f.queue()
		_, err := a.List(f.ctx, driver.ListParams{Queue: q, Limit: -1})
		assert.ErrorIs(t, err, driver.ErrInvalid, "List with a negative limit")
		_, err = a.List(f.ctx, driver.ListParams{Queue: ""})
		assert.ErrorIs(t, err, driver.ErrInvalid, "List with an empty queue name")
		_, err = a.List(f.ctx, driver.ListParams{Queue: q, States: []driver.State{"sleeping"}})
		assert.ErrorIs(t, err, driver.ErrInvalid, "List with an unknown state")
		_, err = a.Count(f.ctx, "")
		assert.ErrorIs(t, err, driver.ErrInvalid, "Count with an empty queue name")
		_, err = a.Purge(f.ctx, driver.PurgeParams{Queue: q, Limit: -1})
		assert.ErrorIs(t, err, driver.ErrInvalid, "Purge with a negative limit")
		_, err = a.Purge(f.ctx, driver.PurgeParams{Queue: q, OlderThan: -time.Second})
		assert.ErrorIs(t, err, driver.ErrInvalid, "Purge with a negative age")
		_, err = a.Retry(f.ctx, []int64{0})
		assert.ErrorIs(t, err, driver.ErrInvalid, "Retry of ID 0")
		_, err = a.Cancel(f.ctx, []int64{7, 7})
		assert.ErrorIs(t, err, driver.ErrInvalid, "Cancel naming one task twice")
	}},
}

// tx returns a transactional creator, or skips or fails the subtest as the
// harness's exemptions say.
func (f *fixture) tx() (driver.Creator, func() error, func() error) {
	f.t.Helper()
	if f.s.h.Tx == nil {
		f.s.missing(f.t, CapTx, "the harness has no Tx function")
	}
	c, commit, rollback := f.s.h.Tx(f.t, f.d)
	require.NotNil(f.t, c, "Harness.Tx returned no creator")
	require.NotNil(f.t, commit, "Harness.Tx returned no commit")
	require.NotNil(f.t, rollback, "Harness.Tx returned no rollback")
	// A failing subtest may leave the transaction open, and an embedded
	// store cannot close while a write transaction is open: roll back
	// before the driver closes. After a commit or a rollback this does
	// nothing but return an error, which is ignored.
	f.t.Cleanup(func() { _ = rollback() })
	return c, commit, rollback
}

var txRules = []rule{
	{name: "VisibleOnlyAfterCommit", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		c, commit, rollback := f.tx()
		q := f.queue()
		res, err := c.Create(f.ctx, []driver.NewTask{task(q, "a"), task(q, "b")})
		require.NoError(t, err)
		require.Len(t, res, 2)
		for _, r := range res {
			require.NoError(t, r.Err)
			_, err := f.d.Get(f.ctx, r.ID)
			assert.ErrorIs(t, err, driver.ErrTaskNotFound, "a task created in a transaction is not visible before commit")
		}
		if !assert.NoError(t, commit(), "commit") {
			_ = rollback()
			return
		}
		for _, r := range res {
			assert.Equal(t, driver.StatePending, f.get(r.ID).State, "a committed task is pending")
		}
		got := f.claim(q, driver.Fifo, 10, longLease)
		assert.ElementsMatch(t, []int64{res[0].ID, res[1].ID}, ids(got), "committed tasks are claimable")
	}},
	{name: "NothingAfterRollback", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		c, _, rollback := f.tx()
		q := f.queue()
		res, err := c.Create(f.ctx, []driver.NewTask{task(q, "a")})
		require.NoError(t, err)
		require.Len(t, res, 1)
		require.NoError(t, rollback(), "rollback")
		_, err = f.d.Get(f.ctx, res[0].ID)
		assert.ErrorIs(t, err, driver.ErrTaskNotFound, "a rolled-back task does not exist")
		f.claimNone(q, "a rolled-back transaction stores nothing")
	}},
	{name: "UniqueKeyAcrossTxAndStore", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		u := driver.NewTask{Queue: q, MaxAttempts: 1, UniqueKey: "k"}
		id := f.create(u)[0] // before the transaction: an embedded store has one writer
		c, commit, _ := f.tx()
		res, err := c.Create(f.ctx, []driver.NewTask{u})
		require.NoError(t, err)
		require.Len(t, res, 1)
		assert.ErrorIs(t, res[0].Err, driver.ErrDuplicate, "a transaction sees the unique keys of stored tasks")
		assert.Equal(t, id, res[0].ID)
		require.NoError(t, commit())
		assert.Len(t, f.claim(q, driver.Fifo, 10, longLease), 1, "the duplicate was not stored")
	}},
}
