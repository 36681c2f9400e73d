package drivertest

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
)

// lapsedRules pin where a lapsed lease stands in claim order, and that a
// claim fails every lapsed last attempt of its queue. They belong to the
// Lease group.
var lapsedRules = []rule{
	{name: "LapsedLeaseTakesItsPlaceInFifoOrder", test: func(t *testing.T, s *suite) {
		// older was available before the lapsed task, newer after it.
		testLapsedOrder(t, s, driver.Fifo, []int{0}, 0, []int{0}, func(older, lapsed, newer []int64) []int64 {
			return []int64{older[0], lapsed[0], newer[0]}
		})
	}},
	{name: "LapsedLeaseTakesItsPlaceInLifoOrder", test: func(t *testing.T, s *suite) {
		testLapsedOrder(t, s, driver.Lifo, []int{0}, 0, []int{0}, func(older, lapsed, newer []int64) []int64 {
			return []int64{newer[0], lapsed[0], older[0]}
		})
	}},
	{name: "LapsedLeaseTakesItsPlaceInPriorityOrder", test: func(t *testing.T, s *suite) {
		// Older: one of equal priority. Newer: higher, equal and lower.
		testLapsedOrder(t, s, driver.Priority, []int{0}, 0, []int{5, 0, -5}, func(older, lapsed, newer []int64) []int64 {
			return []int64{newer[0], older[0], lapsed[0], newer[1], newer[2]}
		})
	}},
	{name: "PassedOverLapsedLeaseStillHolds", test: func(t *testing.T, s *suite) {
		f, clk := s.clocked(t)
		q := f.queue()
		lapsed := f.createN(q, 2)
		c := f.claim(q, driver.Fifo, 2, shortLease)
		require.Equal(t, lapsed, ids(c), "Claim takes both tasks")
		pinged, finished := c[0], c[1]
		high := task(q, "high")
		high.Priority = 5
		hi := f.create(high, high)
		(&timeline{f: f, c: clk}).lapse(shortLease)
		got := f.claim(q, driver.Priority, 1, longLease)
		require.Equal(t, hi[:1], ids(got), "Priority hands out a higher-priority pending task before the lapsed ones")
		require.NoError(t, f.ping(pinged.Lease, longLease), "rule: a lapsed lease that a claim passed over still holds: its ping extends it")
		require.NoError(t, f.finish(outcome(finished.Lease, driver.Complete)), "rule: a lapsed lease that a claim passed over still holds: it may complete its task")
		got = f.claim(q, driver.Priority, 5, longLease)
		require.Equal(t, hi[1:], ids(got), "rule: claims hand out neither a lapsed task whose lease a ping extended nor one its lease completed")
		require.NoError(t, f.finish(outcome(pinged.Lease, driver.Complete)), "the pinged lease holds")
		assert.Equal(t, driver.StateCompleted, f.get(pinged.Task.ID).State)
		assert.Equal(t, driver.StateCompleted, f.get(finished.Task.ID).State)
		f.claimNone(q, "tasks completed by their lapsed leases are never handed out again")
	}},
	{name: "LastAttemptLapsesAllFailedByAnyClaim", test: func(t *testing.T, s *suite) {
		f, clk := s.clocked(t)
		rules := []driver.PriorityRule{driver.Fifo, driver.Lifo, driver.Priority}
		queues := make([]string, len(rules))
		spent := make([][]int64, len(rules))
		pending := make([]int64, len(rules))
		for i := range rules {
			queues[i] = f.queue()
			once := task(queues[i], "once")
			once.MaxAttempts = 1
			spent[i] = f.create(once, once)
			require.Len(t, f.claim(queues[i], driver.Fifo, 2, shortLease), 2, "Claim takes both tasks")
			p := task(queues[i], "pending")
			p.Priority = 5
			pending[i] = f.create(p)[0]
		}
		(&timeline{f: f, c: clk}).lapse(shortLease)
		for i, r := range rules {
			got := f.claim(queues[i], r, 1, longLease)
			assert.Equal(t, []int64{pending[i]}, ids(got), "rule (%v): a task failed for its lapsed last lease does not count against the limit; the claim hands out the available task", r)
			for _, id := range spent[i] {
				rec := f.get(id)
				assert.Equal(t, driver.StateFailed, rec.State, "rule (%v): a claim with limit 1 fails every task of its queue whose lease ran out on its last attempt, not only the first it meets (task %d)", r, id)
				assert.Equal(t, driver.LeaseExpiredMessage, rec.LastError, "rule (%v): a task failed for its lapsed last lease has the last error %q", r, driver.LeaseExpiredMessage)
			}
		}
	}},
}

// testLapsedOrder checks that under rule a task whose lease ran out is
// handed out in its place among pending tasks. It creates tasks of the
// older priorities, then the task whose lease will lapse (of priority
// lapsedPrio, the newest task, so that a Lifo claim takes it), claims that
// one, creates tasks of the newer priorities, lets the lease run out, and
// claims everything under rule; want returns the expected order from the
// IDs of the three groups.
func testLapsedOrder(t *testing.T, s *suite, rule driver.PriorityRule, olderPrios []int, lapsedPrio int, newerPrios []int, want func(older, lapsed, newer []int64) []int64) {
	f, clk := s.clocked(t)
	q := f.queue()
	add := func(name string, prios ...int) []int64 {
		tasks := make([]driver.NewTask, len(prios))
		for i, p := range prios {
			tasks[i] = task(q, fmt.Sprintf("%s %d", name, i))
			tasks[i].Priority = p
		}
		return f.create(tasks...)
	}
	older := add("older", olderPrios...)
	lapsed := add("lapsed", lapsedPrio)
	c := f.claim(q, driver.Lifo, 1, shortLease)
	require.Equal(t, lapsed, ids(c), "a Lifo claim takes the newest task")
	newer := add("newer", newerPrios...)
	(&timeline{f: f, c: clk}).lapse(shortLease)
	n := len(older) + len(lapsed) + len(newer)
	got := f.claim(q, rule, n, longLease)
	require.Equal(t, want(older, lapsed, newer), ids(got),
		"rule: a running task whose lease ran out takes its place in %v order as a pending task with its priority, run-at (the run-at it was claimed from) and ID would; tasks pending before it (older %v), it (%v), tasks created after its claim (newer %v)",
		rule, older, lapsed, newer)
	assert.Equal(t, 2, f.get(lapsed[0]).Attempt, "the lapsed task's second claim is its second attempt")
}
