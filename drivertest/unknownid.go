package drivertest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
)

var unknownIDRules = []rule{
	{name: "EveryCallReportsTaskNotFound", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		_, err := f.d.Get(f.ctx, unknownID)
		assert.ErrorIs(t, err, driver.ErrTaskNotFound, "Get of an unknown ID")
		l := driver.Lease{TaskID: unknownID, Token: 1}
		assert.ErrorIs(t, f.ping(l, longLease), driver.ErrTaskNotFound, "Ping of an unknown ID")
		for _, k := range []driver.OutcomeKind{driver.Complete, driver.Cancel, driver.Fail, driver.Release} {
			assert.ErrorIs(t, f.finish(outcome(l, k)), driver.ErrTaskNotFound, "Finish (%v) of an unknown ID", k)
		}
	}},
	{name: "BatchReportsOnlyUnknownItems", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		f.createN(q, 2)
		c := f.claim(q, driver.Fifo, 2, longLease)
		require.Len(t, c, 2)
		errs, err := f.d.Finish(f.ctx, []driver.Outcome{
			outcome(c[0].Lease, driver.Complete),
			outcome(driver.Lease{TaskID: unknownID, Token: c[0].Lease.Token}, driver.Complete),
			outcome(c[1].Lease, driver.Complete),
		})
		require.NoError(t, err, "an unknown ID is a per-item error, not a failure of the call")
		require.Len(t, errs, 3)
		assert.NoError(t, errs[0])
		assert.ErrorIs(t, errs[1], driver.ErrTaskNotFound)
		assert.NoError(t, errs[2])
		assert.Equal(t, driver.StateCompleted, f.get(c[0].Task.ID).State, "the known items of the batch are applied")
		assert.Equal(t, driver.StateCompleted, f.get(c[1].Task.ID).State, "the known items of the batch are applied")
	}},
}
