package drivertest

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
)

// largeBatch is the size of the batches of largeBatchRules: more than a
// store's statement, script or page may take at once, so that a driver
// that splits a batch (in chunks, by ID, by queue) shows whether its
// results still line up with the input.
const largeBatch = 1500

var largeBatchRules = []rule{
	{name: "LargeShuffledFinishLinesUp", serial: true, test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		f.createN(q, largeBatch)
		claimed := f.claim(q, driver.Fifo, largeBatch, longLease)
		require.Len(t, claimed, largeBatch, "Claim hands out every available task up to its limit")
		// A tenth are finalised first: their outcome is then a conflict.
		var first []driver.Outcome
		for _, c := range claimed[:largeBatch/10] {
			first = append(first, outcome(c.Lease, driver.Cancel))
		}
		errs, err := f.d.Finish(f.ctx, first)
		require.NoError(t, err, "Finish")
		for _, e := range errs {
			require.NoError(t, e, "Finish of a live lease")
		}
		kinds := []driver.OutcomeKind{driver.Complete, driver.Fail, driver.Release}
		states := map[driver.OutcomeKind]driver.State{driver.Complete: driver.StateCompleted, driver.Fail: driver.StateFailed, driver.Release: driver.StatePending}
		var outs []driver.Outcome
		var want []expect
		after := map[int64]driver.State{}
		for i, c := range claimed {
			o := driver.Outcome{Lease: c.Lease, Kind: kinds[i%3], Message: "large"}
			switch {
			case i < largeBatch/10:
				want = append(want, expect{driver.ErrTaskConflict, "finalised before"})
				after[c.Task.ID] = driver.StateCancelled
			case i%7 == 0:
				o.Lease.Token++
				want = append(want, expect{driver.ErrLeaseLost, "a token the task never had"})
				after[c.Task.ID] = driver.StateRunning
			default:
				want = append(want, expect{nil, o.Kind.String()})
				after[c.Task.ID] = states[o.Kind]
			}
			outs = append(outs, o)
		}
		for id := int64(1 << 40); id < 1<<40+20; id++ {
			outs = append(outs, outcome(driver.Lease{TaskID: id, Token: 1}, driver.Complete))
			want = append(want, expect{driver.ErrTaskNotFound, "no such task"})
		}
		// In an order unrelated to the tasks' IDs.
		perm := rand.Perm(len(outs))
		shuffled, shuffledWant := make([]driver.Outcome, len(outs)), make([]expect, len(outs))
		for i, p := range perm {
			shuffled[i], shuffledWant[i] = outs[p], want[p]
		}
		errs, err = f.d.Finish(f.ctx, shuffled)
		require.NoError(t, err, "rule: a large Finish is one call, whatever the store does inside")
		checkPattern(t, "Finish of a large, shuffled batch", errs, shuffledWant)
		for id, st := range after {
			assert.Equal(t, st, f.get(id).State, "rule: each outcome of a large batch acts on its own task only (task %d)", id)
		}
	}},
}
