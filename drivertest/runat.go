package drivertest

import (
	"cmp"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
)

var runAtRules = []rule{
	{name: "DelayedTaskNotClaimableBeforeRunAt", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		later := task(q, "later")
		later.Delay = farDelay
		id := f.create(later)[0]
		assert.Equal(t, driver.StatePending, f.get(id).State, "a delayed task is pending")
		f.claimNone(q, "a task whose run-at is in the future is not available")
	}},
	{name: "RunAtIsNowPlusDelay", test: runAtIsNowPlusDelay},
	{name: "DelayedTaskClaimableOnceRunAtComes", test: delayedTaskClaimableFromRunAtNotBefore},
	{name: "FifoOrdersByRunAt", test: func(t *testing.T, s *suite) {
		f, tl := s.timed(t)
		q := f.queue()
		delayed := task(q, "delayed")
		delayed.Delay = tl.orderDelay()
		first := f.create(delayed)[0]
		now := f.createN(q, 2)
		tl.reach(f.get(first).RunAt)
		got := f.claim(q, driver.Fifo, 3, longLease)
		require.Equal(t, f.inRunAtOrder(driver.Fifo, first, now[0], now[1]), ids(got), "Fifo orders by run-at, not by creation: a delayed task comes after tasks available before it")
	}},
	{name: "LifoAndPriorityOrderByRunAt", test: func(t *testing.T, s *suite) {
		f, tl := s.timed(t)
		lifo, prio := f.queue(), f.queue()
		first := map[string]int64{}
		now := map[string][]int64{}
		for _, q := range []string{lifo, prio} {
			delayed := task(q, "delayed")
			delayed.Delay = tl.orderDelay()
			first[q] = f.create(delayed)[0]
			now[q] = f.createN(q, 2)
		}
		tl.reach(f.get(first[prio]).RunAt)
		got := f.claim(lifo, driver.Lifo, 3, longLease)
		require.Equal(t, f.inRunAtOrder(driver.Lifo, first[lifo], now[lifo][0], now[lifo][1]), ids(got), "rule: Lifo orders by run-at, not by creation: a delayed task comes before tasks available before it")
		got = f.claim(prio, driver.Priority, 3, longLease)
		require.Equal(t, f.inRunAtOrder(driver.Priority, first[prio], now[prio][0], now[prio][1]), ids(got), "rule: Priority is Fifo among equal priorities: oldest run-at first, not lowest ID")
	}},
}

// inRunAtOrder returns the IDs of tasks of equal priority in the order rule
// hands them out, from their stored run-at and IDs.
func (f *fixture) inRunAtOrder(rule driver.PriorityRule, ids ...int64) []int64 {
	f.t.Helper()
	recs := make([]driver.TaskRecord, len(ids))
	for i, id := range ids {
		recs[i] = f.get(id)
	}
	slices.SortFunc(recs, func(a, b driver.TaskRecord) int {
		c := a.RunAt.Compare(b.RunAt)
		if c == 0 {
			c = cmp.Compare(a.ID, b.ID)
		}
		if rule == driver.Lifo {
			return -c
		}
		return c
	})
	out := make([]int64, len(recs))
	for i, r := range recs {
		out[i] = r.ID
	}
	return out
}
