package drivertest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
)

// adminPurgeRules are the rules of Purge.
var adminPurgeRules = []rule{
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
}
