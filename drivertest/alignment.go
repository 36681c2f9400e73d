package drivertest

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
)

// The subtests of this file give batches whose per-item results follow a
// pattern in which neighbours always differ and no item matches its mirror
// image, so that results shifted by one or reversed fail in every position,
// and they check each item's effect on its own task.

// expect is the wanted result of one batch item: nil for applied, or the
// error it must match.
type expect struct {
	err  error
	what string
}

// checkPattern checks each item error against want, naming the rule.
func checkPattern(t *testing.T, call string, got []error, want []expect) {
	t.Helper()
	require.Len(t, got, len(want), "rule: %s returns one result per item", call)
	for i, w := range want {
		if w.err == nil {
			assert.NoError(t, got[i], "rule: %s results line up with the input: item %d (%s) applies", call, i, w.what)
			continue
		}
		assert.ErrorIs(t, got[i], w.err, "rule: %s results line up with the input: item %d (%s)", call, i, w.what)
	}
}

var alignmentRules = []rule{
	{name: "CreateDuplicatesAtAsymmetricPositions", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		held := f.create(
			driver.NewTask{Queue: q, Payload: []byte("held a"), MaxAttempts: 1, UniqueKey: "a"},
			driver.NewTask{Queue: q, Payload: []byte("held b"), MaxAttempts: 1, UniqueKey: "b"},
		)
		// new, dup of a stored task, new, dup of item 0, new, dup of the
		// other stored task.
		batch := []driver.NewTask{
			{Queue: q, Payload: []byte("0"), MaxAttempts: 1, UniqueKey: "c"},
			{Queue: q, Payload: []byte("1"), MaxAttempts: 1, UniqueKey: "b"},
			{Queue: q, Payload: []byte("2"), MaxAttempts: 1},
			{Queue: q, Payload: []byte("3"), MaxAttempts: 1, UniqueKey: "c"},
			{Queue: q, Payload: []byte("4"), MaxAttempts: 1, UniqueKey: "d"},
			{Queue: q, Payload: []byte("5"), MaxAttempts: 1, UniqueKey: "a"},
		}
		res, err := f.d.Create(f.ctx, batch)
		require.NoError(t, err)
		require.Len(t, res, len(batch), "rule: Create returns one result per task")
		dupOf := map[int]func() int64{
			1: func() int64 { return held[1] },
			3: func() int64 { return res[0].ID },
			5: func() int64 { return held[0] },
		}
		stored := map[int64]bool{}
		for i, r := range res {
			if holder, dup := dupOf[i]; dup {
				assert.ErrorIs(t, r.Err, driver.ErrDuplicate, "rule: Create results line up with the input: item %d is a duplicate", i)
				assert.Equal(t, holder(), r.ID, "rule: Create results line up with the input: item %d names the task holding its key", i)
				continue
			}
			if !assert.NoError(t, r.Err, "rule: Create results line up with the input: item %d is stored", i) {
				continue
			}
			assert.False(t, stored[r.ID], "rule: item %d got an ID given to another item", i)
			stored[r.ID] = true
			assert.Equal(t, fmt.Sprint(i), string(f.get(r.ID).Payload), "rule: Create results line up with the input: the ID of item %d names item %d's task", i, i)
		}
		got := f.claim(q, driver.Fifo, 20, longLease)
		assert.Len(t, got, 2+3, "rule: the duplicates are not stored")
	}},
	{name: "PingMixedResults", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		f.createN(q, 4)
		c := f.claim(q, driver.Fifo, 4, longLease)
		require.Len(t, c, 4)
		require.NoError(t, f.finish(outcome(c[1].Lease, driver.Complete)))
		forged := c[3].Lease
		forged.Token++
		before := map[int64]driver.TaskRecord{}
		for _, x := range c {
			before[x.Task.ID] = f.get(x.Task.ID)
		}
		// live, lost, not found, live, not found, lost
		leases := []driver.Lease{c[0].Lease, c[1].Lease, {TaskID: unknownID, Token: 1}, c[2].Lease, {TaskID: unknownID + 1, Token: 1}, forged}
		want := []expect{
			{nil, "a live lease"}, {driver.ErrLeaseLost, "the lease of a completed task"},
			{driver.ErrTaskNotFound, "an unknown ID"}, {nil, "a live lease"},
			{driver.ErrTaskNotFound, "another unknown ID"}, {driver.ErrLeaseLost, "a wrong token"},
		}
		errs, err := f.d.Ping(f.ctx, leases, 2*longLease)
		require.NoError(t, err, "Ping")
		checkPattern(t, "Ping", errs, want)
		for _, x := range []driver.ClaimedTask{c[0], c[2]} {
			assert.True(t, f.get(x.Task.ID).LeaseExpiresAt.After(before[x.Task.ID].LeaseExpiresAt), "rule: Ping extends the leases of the items that hold (task %d)", x.Task.ID)
		}
		for _, x := range []driver.ClaimedTask{c[1], c[3]} {
			f.unchanged(before[x.Task.ID], f.get(x.Task.ID), "rule: Ping changes nothing for a refused item (task %d)", x.Task.ID)
		}
	}},
	{name: "FinishMixedResults", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		f.createN(q, 6)
		c := f.claim(q, driver.Fifo, 6, longLease)
		require.Len(t, c, 6)
		require.NoError(t, f.finish(outcome(c[2].Lease, driver.Complete)))
		require.NoError(t, f.finish(outcome(c[5].Lease, driver.Fail)))
		lost1, lost4 := c[1].Lease, c[4].Lease
		lost1.Token++
		lost4.Token += 2
		before := map[int64]driver.TaskRecord{}
		for _, x := range c {
			before[x.Task.ID] = f.get(x.Task.ID)
		}
		// applied, lost, conflict, not found, lost, applied, not found, conflict
		outcomes := []driver.Outcome{
			{Lease: c[0].Lease, Kind: driver.Complete, Message: "applied 0"},
			{Lease: lost1, Kind: driver.Complete},
			{Lease: c[2].Lease, Kind: driver.Fail, Message: "conflict"},
			{Lease: driver.Lease{TaskID: unknownID, Token: 1}, Kind: driver.Complete},
			{Lease: lost4, Kind: driver.Cancel},
			{Lease: c[3].Lease, Kind: driver.Fail, Message: "applied 5"},
			{Lease: driver.Lease{TaskID: unknownID + 1, Token: 1}, Kind: driver.Release},
			{Lease: c[5].Lease, Kind: driver.Release},
		}
		want := []expect{
			{nil, "complete"}, {driver.ErrLeaseLost, "a wrong token"},
			{driver.ErrTaskConflict, "a task this lease completed"}, {driver.ErrTaskNotFound, "an unknown ID"},
			{driver.ErrLeaseLost, "a wrong token"}, {nil, "fail"},
			{driver.ErrTaskNotFound, "another unknown ID"}, {driver.ErrTaskConflict, "a task this lease failed"},
		}
		errs, err := f.d.Finish(f.ctx, outcomes)
		require.NoError(t, err, "Finish")
		checkPattern(t, "Finish", errs, want)
		assert.Equal(t, driver.StateCompleted, f.get(c[0].Task.ID).State, "rule: item 0 completes its own task")
		assert.Equal(t, "applied 0", f.get(c[0].Task.ID).LastError, "rule: item 0's message goes to its own task")
		assert.Equal(t, driver.StateFailed, f.get(c[3].Task.ID).State, "rule: item 5 fails its own task")
		assert.Equal(t, "applied 5", f.get(c[3].Task.ID).LastError, "rule: item 5's message goes to its own task")
		for _, x := range []driver.ClaimedTask{c[1], c[2], c[4], c[5]} {
			f.unchanged(before[x.Task.ID], f.get(x.Task.ID), "rule: Finish changes nothing for a refused item (task %d)", x.Task.ID)
		}
	}},
	{name: "RetryMixedResults", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		a := f.admin()
		q := f.queue()
		failed := f.inState(q, driver.StateFailed)
		pending := f.inState(q, driver.StatePending)
		cancelled := f.inState(q, driver.StateCancelled)
		keyed := driver.NewTask{Queue: q, Payload: []byte("keyed"), MaxAttempts: 1, UniqueKey: "k"}
		taken := f.create(keyed)[0]
		errs, err := a.Cancel(f.ctx, []int64{taken})
		require.NoError(t, err)
		require.NoError(t, errs[0])
		holder := f.create(keyed)[0] // now holds the key of the cancelled task
		done := f.inState(q, driver.StateCompleted)
		before := map[int64]driver.TaskRecord{}
		for _, id := range []int64{pending, taken, done, holder} {
			before[id] = f.get(id)
		}
		// ok, not found, conflict, ok, duplicate, conflict
		batch := []int64{failed, unknownID, pending, cancelled, taken, done}
		want := []expect{
			{nil, "a failed task"}, {driver.ErrTaskNotFound, "an unknown ID"},
			{driver.ErrTaskConflict, "a pending task"}, {nil, "a cancelled task"},
			{driver.ErrDuplicate, "a task whose key another task now holds"}, {driver.ErrTaskConflict, "a completed task"},
		}
		errs, err = a.Retry(f.ctx, batch)
		require.NoError(t, err, "Retry")
		checkPattern(t, "Retry", errs, want)
		for _, id := range []int64{failed, cancelled} {
			assert.Equal(t, driver.StatePending, f.get(id).State, "rule: Retry applies to its own items (task %d)", id)
		}
		for id, r := range before {
			f.unchanged(r, f.get(id), "rule: Retry changes nothing for a refused item (task %d)", id)
		}
	}},
	{name: "CancelMixedResults", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		a := f.admin()
		q := f.queue()
		pending := f.inState(q, driver.StatePending)
		failed := f.inState(q, driver.StateFailed)
		running := f.inState(q, driver.StateRunning)
		done := f.inState(q, driver.StateCompleted)
		before := map[int64]driver.TaskRecord{failed: f.get(failed), done: f.get(done)}
		// ok, conflict, not found, ok, not found, conflict
		batch := []int64{pending, failed, unknownID, running, unknownID + 1, done}
		want := []expect{
			{nil, "a pending task"}, {driver.ErrTaskConflict, "a failed task"},
			{driver.ErrTaskNotFound, "an unknown ID"}, {nil, "a running task"},
			{driver.ErrTaskNotFound, "another unknown ID"}, {driver.ErrTaskConflict, "a completed task"},
		}
		errs, err := a.Cancel(f.ctx, batch)
		require.NoError(t, err, "Cancel")
		checkPattern(t, "Cancel", errs, want)
		for _, id := range []int64{pending, running} {
			assert.Equal(t, driver.StateCancelled, f.get(id).State, "rule: Cancel applies to its own items (task %d)", id)
		}
		for id, r := range before {
			f.unchanged(r, f.get(id), "rule: Cancel changes nothing for a refused item (task %d)", id)
		}
	}},
}
