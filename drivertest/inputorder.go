package drivertest

import (
	"cmp"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
)

// inputOrderRules pin that callers may pass leases, outcomes and IDs in
// any order: the results line up with the input whatever its order, and
// calls over shared tasks in different orders do not block each other.
var inputOrderRules = []rule{
	{name: "PingTakesLeasesInAnyOrder", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		f.createN(q, 6)
		got := byIDDescending(f.claim(q, driver.Fifo, 6, longLease))
		require.Len(t, got, 6)
		leases := make([]driver.Lease, 0, 7)
		want := make([]error, 0, 7)
		for i, c := range got {
			l := c.Lease
			var e error
			if i == 2 {
				l.Token += 1000 // forged
				e = driver.ErrLeaseLost
			}
			leases, want = append(leases, l), append(want, e)
			if i == 3 {
				leases = append(leases, driver.Lease{TaskID: got[0].Task.ID + 1_000_000, Token: 1})
				want = append(want, driver.ErrTaskNotFound)
			}
		}
		errs, err := f.d.Ping(f.ctx, leases, longLease)
		require.NoError(t, err, "Ping of leases in descending ID order")
		require.Len(t, errs, len(leases), "Ping returns one error per lease")
		for i := range leases {
			if want[i] == nil {
				assert.NoError(t, errs[i], "lease %d of a Ping in descending ID order: the results line up with the input", i)
			} else {
				assert.ErrorIs(t, errs[i], want[i], "lease %d of a Ping in descending ID order: the results line up with the input", i)
			}
		}
	}},
	{name: "FinishTakesOutcomesInAnyOrder", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		f.createN(q, 6)
		got := f.claim(q, driver.Fifo, 6, longLease)
		require.Len(t, got, 6)
		// Neither ascending nor descending, each position another kind.
		order := []int{3, 0, 5, 1, 4, 2}
		kinds := []driver.OutcomeKind{driver.Complete, driver.Fail, driver.Cancel, driver.Release, driver.Complete, driver.Fail}
		states := map[driver.OutcomeKind]driver.State{
			driver.Complete: driver.StateCompleted, driver.Fail: driver.StateFailed,
			driver.Cancel: driver.StateCancelled, driver.Release: driver.StatePending,
		}
		outcomes := make([]driver.Outcome, len(order))
		for n, i := range order {
			outcomes[n] = outcome(got[i].Lease, kinds[n])
		}
		outcomes[4].Lease.Token += 1000 // forged: refused, the task stays running
		errs, err := f.d.Finish(f.ctx, outcomes)
		require.NoError(t, err, "Finish of outcomes in mixed order")
		require.Len(t, errs, len(outcomes), "Finish returns one error per outcome")
		for n, o := range outcomes {
			r := f.get(o.Lease.TaskID)
			if n == 4 {
				assert.ErrorIs(t, errs[n], driver.ErrLeaseLost, "outcome %d (forged) of a Finish in mixed order: the results line up with the input", n)
				assert.Equal(t, driver.StateRunning, r.State, "outcome %d (forged) changed its task", n)
				continue
			}
			assert.NoError(t, errs[n], "outcome %d of a Finish in mixed order: the results line up with the input", n)
			assert.Equal(t, states[o.Kind], r.State, "outcome %d (%v) of a Finish in mixed order reached another task", n, o.Kind)
		}
	}},
	{name: "AdminTakesIDsInAnyOrder", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		a := f.admin()
		q := f.queue()
		ids := f.createN(q, 4)
		done := f.claim(q, driver.Fifo, 1, longLease)
		require.Len(t, done, 1)
		require.NoError(t, f.finish(outcome(done[0].Lease, driver.Complete)))
		unknown := slices.Max(ids) + 1_000_000
		// Descending, with a completed task and an unknown ID between.
		in := []int64{ids[3], ids[2], done[0].Task.ID, unknown, ids[1]}
		errs, err := a.Cancel(f.ctx, in)
		require.NoError(t, err, "Cancel of IDs in descending order")
		require.Len(t, errs, len(in), "Cancel returns one error per ID")
		for n, want := range []error{nil, nil, driver.ErrTaskConflict, driver.ErrTaskNotFound, nil} {
			if want == nil {
				assert.NoError(t, errs[n], "ID %d of a Cancel in descending order: the results line up with the input", n)
			} else {
				assert.ErrorIs(t, errs[n], want, "ID %d of a Cancel in descending order: the results line up with the input", n)
			}
		}
		in = []int64{ids[3], unknown, done[0].Task.ID, ids[1], ids[2]}
		errs, err = a.Retry(f.ctx, in)
		require.NoError(t, err, "Retry of IDs in mixed order")
		require.Len(t, errs, len(in), "Retry returns one error per ID")
		for n, want := range []error{nil, driver.ErrTaskNotFound, driver.ErrTaskConflict, nil, nil} {
			if want == nil {
				assert.NoError(t, errs[n], "ID %d of a Retry in mixed order: the results line up with the input", n)
			} else {
				assert.ErrorIs(t, errs[n], want, "ID %d of a Retry in mixed order: the results line up with the input", n)
			}
		}
	}},
	{name: "PingAndFinishInOppositeOrdersConcurrently", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		const n, rounds = 32, 10
		f.createN(q, n)
		for round := range rounds {
			got := byIDDescending(f.claim(q, driver.Fifo, n, longLease))
			require.Len(t, got, n)
			leases := make([]driver.Lease, n)
			outcomes := make([]driver.Outcome, n)
			for i, c := range got {
				leases[i] = c.Lease
				outcomes[n-1-i] = outcome(c.Lease, driver.Release)
			}
			var wg sync.WaitGroup
			var pingErr, finishErr error
			var finishErrs []error
			wg.Go(func() { _, pingErr = f.d.Ping(f.ctx, leases, longLease) })
			wg.Go(func() { finishErrs, finishErr = f.d.Finish(f.ctx, outcomes) })
			wg.Wait()
			require.NoError(t, pingErr, "round %d: a Ping beside a Finish over the same tasks in the opposite order (a store that locks rows must lock them in task-ID order)", round)
			require.NoError(t, finishErr, "round %d: a Finish beside a Ping over the same tasks in the opposite order (a store that locks rows must lock them in task-ID order)", round)
			for i, err := range finishErrs {
				require.NoError(t, err, "round %d: outcome %d of a Finish beside a Ping", round, i)
			}
		}
	}},
}

// byIDDescending sorts claimed tasks by descending task ID.
func byIDDescending(got []driver.ClaimedTask) []driver.ClaimedTask {
	slices.SortFunc(got, func(a, b driver.ClaimedTask) int { return cmp.Compare(b.Task.ID, a.Task.ID) })
	return got
}
