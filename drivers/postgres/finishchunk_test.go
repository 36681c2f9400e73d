package postgres_test

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
)

// TestFinishLargerThanAChunk finishes more outcomes than one statement
// takes (finishChunk), in an order unrelated to the tasks' IDs, with
// every per-outcome answer mixed in: each answer lines up with its
// outcome, each applied outcome is stored, and the others change nothing.
func TestFinishLargerThanAChunk(t *testing.T) {
	t.Parallel()
	d := newDriver(t)
	ctx := context.Background()
	const n = 2500
	tasks := make([]driver.NewTask, n)
	for i := range tasks {
		tasks[i] = driver.NewTask{Queue: "q", Payload: []byte("x"), MaxAttempts: 3}
	}
	_, err := d.Create(ctx, tasks)
	require.NoError(t, err)
	claimed, err := d.Claim(ctx, driver.ClaimParams{Queue: "q", Limit: n, Rule: driver.Fifo, Lease: time.Hour})
	require.NoError(t, err)
	require.Len(t, claimed, n)
	// A tenth are finalised before: their outcome is a conflict.
	var done []driver.Outcome
	for _, c := range claimed[:n/10] {
		done = append(done, driver.Outcome{Lease: c.Lease, Kind: driver.Cancel})
	}
	errs, err := d.Finish(ctx, done)
	require.NoError(t, err)
	for _, e := range errs {
		require.NoError(t, e)
	}

	kinds := []driver.OutcomeKind{driver.Complete, driver.Fail, driver.Release}
	var outs []driver.Outcome
	var want []error
	wantState := map[int64]driver.State{}
	for i, c := range claimed {
		o := driver.Outcome{Lease: c.Lease, Kind: kinds[i%3], Message: "m"}
		switch {
		case i < n/10:
			want = append(want, driver.ErrTaskConflict)
			wantState[c.Task.ID] = driver.StateCancelled
		case i%7 == 0:
			o.Lease.Token++ // not the lease's token
			want = append(want, driver.ErrLeaseLost)
			wantState[c.Task.ID] = driver.StateRunning
		default:
			want = append(want, nil)
			wantState[c.Task.ID] = map[driver.OutcomeKind]driver.State{
				driver.Complete: driver.StateCompleted, driver.Fail: driver.StateFailed, driver.Release: driver.StatePending,
			}[o.Kind]
		}
		outs = append(outs, o)
	}
	for id := int64(1 << 40); id < 1<<40+50; id++ {
		outs = append(outs, driver.Outcome{Lease: driver.Lease{TaskID: id, Token: 1}, Kind: driver.Complete})
		want = append(want, driver.ErrTaskNotFound)
	}
	perm := rand.Perm(len(outs))
	shuffled, shuffledWant := make([]driver.Outcome, len(outs)), make([]error, len(outs))
	for i, p := range perm {
		shuffled[i], shuffledWant[i] = outs[p], want[p]
	}
	errs, err = d.Finish(ctx, shuffled)
	require.NoError(t, err)
	require.Len(t, errs, len(shuffled), "one answer per outcome")
	for i, e := range errs {
		if shuffledWant[i] == nil {
			require.NoError(t, e, "outcome %d (task %d) applies", i, shuffled[i].Lease.TaskID)
		} else {
			require.ErrorIs(t, e, shuffledWant[i], "outcome %d (task %d)", i, shuffled[i].Lease.TaskID)
		}
	}
	for id, st := range wantState {
		r, err := d.Get(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, st, r.State, "task %d", id)
	}
}
