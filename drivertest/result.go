package drivertest

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
)

// resultBytes returns n bytes that are not text: every byte value, NUL and
// invalid UTF-8 included, in a pattern that shifts with seed, so that a
// store that cuts, re-encodes or swaps results shows it.
func resultBytes(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7) + seed
	}
	return b
}

// completeWith claims the task just created in q and completes it with
// result, failing unless the outcome applies.
func (f *fixture) completeWith(q string, result []byte) int64 {
	f.t.Helper()
	c := f.claimOne(q, longLease)
	o := outcome(c.Lease, driver.Complete)
	o.Result = result
	require.NoError(f.t, f.finish(o), "completing task %d with a result of %d bytes", c.Task.ID, len(result))
	return c.Task.ID
}

// listed returns the record of task id as List shows it among the tasks
// of q.
func (f *fixture) listed(a driver.Admin, q string, id int64) driver.TaskRecord {
	f.t.Helper()
	recs, err := a.List(f.ctx, driver.ListParams{Queue: q, AfterID: id - 1, Limit: 1})
	require.NoError(f.t, err, "List")
	require.Len(f.t, recs, 1, "List from just before task %d", id)
	require.Equal(f.t, id, recs[0].ID, "List from just before task %d", id)
	return recs[0]
}

var resultRules = []rule{
	{name: "StoredAndReadByGetAndList", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		a := f.admin()
		q := f.queue()
		f.create(task(q, "with a result"))
		want := resultBytes(100, 1)
		id := f.completeWith(q, want)
		got := f.get(id)
		assert.Equal(t, driver.StateCompleted, got.State)
		assert.Equal(t, want, got.Result, "rule: Get returns the result that Complete stored")
		assert.Equal(t, want, f.listed(a, q, id).Result, "rule: List returns the result that Complete stored")
	}},
	{name: "CallerMayReuseItsBytes", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		a := f.admin()
		q := f.queue()
		f.create(task(q, "with a result"))
		buf := resultBytes(100, 3)
		want := bytes.Clone(buf)
		id := f.completeWith(q, buf)
		scribble(buf)
		assert.Equal(t, want, f.get(id).Result, "rule: a result is stored as it was when Finish returned: the caller may then reuse its buffer")
		scribble(f.get(id).Result)
		assert.Equal(t, want, f.get(id).Result, "rule: changing the result Get returned changes nothing stored")
		scribble(f.listed(a, q, id).Result)
		assert.Equal(t, want, f.get(id).Result, "rule: changing the result List returned changes nothing stored")
	}},
	{name: "NilWhenNone", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		a := f.admin()
		q := f.queue()
		f.create(task(q, "no result"))
		done := f.completeWith(q, nil)
		byState := map[driver.State]int64{driver.StateCompleted: done}
		for _, st := range []driver.State{driver.StateCancelled, driver.StateFailed, driver.StateRunning, driver.StatePending} {
			byState[st] = f.inState(q, st)
		}
		for st, id := range byState {
			assert.Nil(t, f.get(id).Result, "rule: Get returns a nil result for a %s task that stored none", st)
			assert.Nil(t, f.listed(a, q, id).Result, "rule: List returns a nil result for a %s task that stored none", st)
		}
	}},
	{name: "EmptyEqualsNone", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		f.create(task(q, "empty result"))
		id := f.completeWith(q, []byte{})
		assert.Nil(t, f.get(id).Result, "rule: an empty result is no result: Get returns nil")
	}},
	{name: "MaxLengthAcceptedOneMoreRefused", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		f.create(task(q, "longest result"))
		want := resultBytes(driver.MaxResultLen, 3)
		id := f.completeWith(q, want)
		assert.Equal(t, want, f.get(id).Result, "rule: a result of MaxResultLen bytes is stored whole")

		f.create(task(q, "too long a result"))
		c := f.claimOne(q, longLease)
		before := f.get(c.Task.ID)
		o := outcome(c.Lease, driver.Complete)
		o.Result = resultBytes(driver.MaxResultLen+1, 4)
		errs, err := f.d.Finish(f.ctx, []driver.Outcome{o})
		assert.ErrorIs(t, err, driver.ErrInvalid, "rule: a result longer than MaxResultLen is invalid")
		assert.Nil(t, errs, "rule: an invalid batch returns no per-item errors")
		f.unchanged(before, f.get(c.Task.ID), "rule: a refused over-long result changes nothing")
	}},
	{name: "RefusedOnOtherOutcomes", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		for _, kind := range []driver.OutcomeKind{driver.Release, driver.Cancel, driver.Fail} {
			f.create(task(q, kind.String()))
			c := f.claimOne(q, longLease)
			before := f.get(c.Task.ID)
			o := outcome(c.Lease, kind)
			o.Result = []byte("not a completion")
			errs, err := f.d.Finish(f.ctx, []driver.Outcome{o})
			assert.ErrorIs(t, err, driver.ErrInvalid, "rule: a result on a %v outcome is invalid", kind)
			assert.Nil(t, errs, "rule: an invalid batch returns no per-item errors")
			f.unchanged(before, f.get(c.Task.ID), "rule: a refused %v with a result changes nothing", kind)
			require.NoError(t, f.finish(outcome(c.Lease, driver.Cancel)), "the task is still running under its lease")
		}
	}},
	{name: "RetryOfCompletedTaskKeepsResult", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		a := f.admin()
		q := f.queue()
		f.create(task(q, "done"))
		want := []byte("kept")
		id := f.completeWith(q, want)
		errs, err := a.Retry(f.ctx, []int64{id})
		require.NoError(t, err, "Retry")
		require.Len(t, errs, 1)
		assert.ErrorIs(t, errs[0], driver.ErrTaskConflict, "rule: a completed task is not retried")
		assert.Equal(t, want, f.get(id).Result, "rule: a refused retry keeps the completed task's result")
	}},
	{name: "RetriedTaskCarriesNoResult", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		a := f.admin()
		q := f.queue()
		for _, st := range []driver.State{driver.StateFailed, driver.StateCancelled} {
			id := f.create(task(q, string(st)))[0]
			first := f.claimOne(q, longLease)
			require.Equal(t, id, first.Task.ID)
			// A completion from a lease taken away, with a result, before
			// the task ends otherwise: refused, it must leave nothing.
			stale := outcome(first.Lease, driver.Complete)
			stale.Result = []byte("from a stale lease")
			if st == driver.StateFailed {
				require.NoError(t, f.finish(outcome(first.Lease, driver.Release)))
				second := f.claimOne(q, longLease)
				require.ErrorIs(t, f.finish(stale), driver.ErrLeaseLost, "the first lease was taken by the second claim")
				require.NoError(t, f.finish(outcome(second.Lease, driver.Fail)))
			} else {
				errs, err := a.Cancel(f.ctx, []int64{id})
				require.NoError(t, err, "Cancel")
				require.NoError(t, errs[0], "Cancel")
				require.ErrorIs(t, f.finish(stale), driver.ErrLeaseLost, "the lease was taken by the outside cancel")
			}
			assert.Nil(t, f.get(id).Result, "rule: a %s task has no result", st)
			errs, err := a.Retry(f.ctx, []int64{id})
			require.NoError(t, err, "Retry")
			require.NoError(t, errs[0], "Retry of a %s task", st)
			assert.Nil(t, f.get(id).Result, "rule: a retried task has no result")
			c := f.claimOne(q, longLease)
			require.Equal(t, id, c.Task.ID)
			assert.Nil(t, c.Task.Result, "rule: a claimed task has no result")
			want := []byte("second run of a " + string(st) + " task")
			o := outcome(c.Lease, driver.Complete)
			o.Result = want
			require.NoError(t, f.finish(o))
			assert.Equal(t, want, f.get(id).Result, "rule: the run that completes a retried task stores its own result, and only it")
		}
	}},
	{name: "PurgeRemovesIt", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		a := f.admin()
		q := f.queue()
		f.create(task(q, "purged"))
		id := f.completeWith(q, []byte("gone with its task"))
		n, err := a.Purge(f.ctx, driver.PurgeParams{Queue: q})
		require.NoError(t, err, "Purge")
		assert.Equal(t, 1, n, "Purge with no age deletes the completed task")
		_, err = f.d.Get(f.ctx, id)
		assert.ErrorIs(t, err, driver.ErrTaskNotFound, "rule: a purged task, result and all, is gone")
		recs, err := a.List(f.ctx, driver.ListParams{Queue: q})
		require.NoError(t, err, "List")
		assert.Empty(t, recs, "rule: List shows nothing of a purged task")
	}},
	{name: "BatchKeepsEachToItsTask", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		a := f.admin()
		q := f.queue()
		f.createN(q, 6)
		got := f.claim(q, driver.Fifo, 6, longLease)
		require.Len(t, got, 6)
		results := [][]byte{resultBytes(10, 10), nil, resultBytes(20, 20), {}, resultBytes(30, 30), resultBytes(40, 40)}
		outcomes := make([]driver.Outcome, 0, 6)
		// In reverse ID order, so that a store that lines results up by
		// ID rather than by position shows it.
		for i := 5; i >= 0; i-- {
			o := outcome(got[i].Lease, driver.Complete)
			o.Result = results[i]
			if i == 4 {
				o.Lease.Token++ // a stale lease: refused, its result dropped
			}
			outcomes = append(outcomes, o)
		}
		errs, err := f.d.Finish(f.ctx, outcomes)
		require.NoError(t, err, "Finish")
		require.Len(t, errs, 6)
		for k, o := range outcomes {
			i := 5 - k
			if i == 4 {
				assert.ErrorIs(t, errs[k], driver.ErrLeaseLost, "the stale lease is refused")
			} else {
				assert.NoError(t, errs[k], "outcome %d", k)
			}
			rec := f.get(o.Lease.TaskID)
			listed := f.listed(a, q, o.Lease.TaskID)
			want := results[i]
			if i == 4 || len(want) == 0 {
				assert.Nil(t, rec.Result, "rule: task %d of the batch has no result (refused, or none given)", rec.ID)
				assert.Nil(t, listed.Result, "rule: List shows no result for task %d of the batch", rec.ID)
				continue
			}
			assert.Equal(t, want, rec.Result, "rule: each completion of a batch stores its own result with its own task")
			assert.Equal(t, want, listed.Result, "rule: List shows each task of a batch with its own result")
		}
	}},
}
