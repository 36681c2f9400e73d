package drivertest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
)

var finishRules = []rule{
	{name: "OutcomesReachTheirStates", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		want := map[driver.OutcomeKind]driver.State{
			driver.Complete: driver.StateCompleted,
			driver.Cancel:   driver.StateCancelled,
			driver.Fail:     driver.StateFailed,
		}
		for _, k := range []driver.OutcomeKind{driver.Complete, driver.Cancel, driver.Fail} {
			id := f.create(task(q, k.String()))[0]
			c := f.claimOne(q, longLease)
			o := outcome(c.Lease, k)
			o.Message = "because " + k.String()
			require.NoError(t, f.finish(o), "Finish (%v) of a running task under its lease", k)
			r := f.get(id)
			assert.Equal(t, want[k], r.State, "%v moves the task to %v", k, want[k])
			assert.Equal(t, o.Message, r.LastError, "the outcome's message is stored as the last error")
			assert.False(t, r.FinalizedAt.IsZero(), "a final task has a finalisation time")
			assert.True(t, r.LeaseExpiresAt.IsZero(), "a final task has no lease")
			assert.Equal(t, 1, r.Attempt, "finishing does not change the attempt count")
		}
	}},
	{name: "EmptyMessageKeepsLastError", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		for _, k := range []driver.OutcomeKind{driver.Complete, driver.Cancel, driver.Fail, driver.Release} {
			q := f.queue()
			id := f.create(task(q, k.String()))[0]
			c := f.claimOne(q, longLease)
			require.NoError(t, f.finish(driver.Outcome{Lease: c.Lease, Kind: driver.Release, Message: "earlier"}))
			c = f.claimOne(q, longLease)
			require.NoError(t, f.finish(outcome(c.Lease, k)))
			assert.Equal(t, "earlier", f.get(id).LastError, "rule: an outcome (%v) with an empty message keeps the last error", k)
		}
	}},
	{name: "FinaliseOnceOnly", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		kinds := []driver.OutcomeKind{driver.Complete, driver.Cancel, driver.Fail}
		for _, first := range kinds {
			id := f.create(task(q, first.String()))[0]
			c := f.claimOne(q, longLease)
			require.NoError(t, f.finish(outcome(c.Lease, first)))
			before := f.get(id)
			for _, second := range append(kinds, driver.Release) {
				assert.ErrorIs(t, f.finish(outcome(c.Lease, second)), driver.ErrTaskConflict, "%v after %v", second, first)
			}
			f.unchanged(before, f.get(id), "a second finalise changes nothing")
		}
	}},
	{name: "BatchResultsLineUpWithInput", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		f.createN(q, 3)
		c := f.claim(q, driver.Fifo, 3, longLease)
		require.Len(t, c, 3)
		require.NoError(t, f.finish(outcome(c[1].Lease, driver.Complete)))
		errs, err := f.d.Finish(f.ctx, []driver.Outcome{
			outcome(c[0].Lease, driver.Complete),
			outcome(c[1].Lease, driver.Complete),
			{Lease: c[2].Lease, Kind: driver.Release, Message: "later"},
		})
		require.NoError(t, err)
		require.Len(t, errs, 3)
		assert.NoError(t, errs[0], "item 0 applies")
		assert.ErrorIs(t, errs[1], driver.ErrTaskConflict, "item 1 was already final")
		assert.NoError(t, errs[2], "item 2 applies")
		assert.Equal(t, driver.StateCompleted, f.get(c[0].Task.ID).State)
		assert.Equal(t, driver.StatePending, f.get(c[2].Task.ID).State)
	}},
	{name: "PingBatchResultsLineUpWithInput", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		f.createN(q, 3)
		c := f.claim(q, driver.Fifo, 3, longLease)
		require.Len(t, c, 3)
		require.NoError(t, f.finish(outcome(c[1].Lease, driver.Complete)))
		errs, err := f.d.Ping(f.ctx, []driver.Lease{c[0].Lease, c[1].Lease, c[2].Lease, {TaskID: unknownID, Token: 1}}, longLease)
		require.NoError(t, err)
		require.Len(t, errs, 4)
		assert.NoError(t, errs[0])
		assert.ErrorIs(t, errs[1], driver.ErrLeaseLost, "a ping of a completed task")
		assert.NoError(t, errs[2])
		assert.ErrorIs(t, errs[3], driver.ErrTaskNotFound)
	}},
}
