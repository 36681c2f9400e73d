package drivertest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
)

// adminListRules are the rules of Count and List.
var adminListRules = []rule{
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
}
