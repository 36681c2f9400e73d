package drivertest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
)

// adminRetryCancelRules are the rules of Retry and Cancel.
var adminRetryCancelRules = []rule{
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
}
