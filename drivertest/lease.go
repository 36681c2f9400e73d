package drivertest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
)

var leaseRules = []rule{
	{name: "ExpiryMakesTaskClaimableAgain", test: expiryMakesTaskClaimableAgain},
	{name: "ReclaimGivesNewTokenAndCountsAttempt", test: reclaimGivesNewTokenAndCountsAttempt},
	{name: "LapsedLeaseHoldsUntilReclaimed", test: lapsedLeaseHoldsUntilReclaimed},
	{name: "LastAttemptLapseFailsTask", test: lastAttemptLapseFailsTask},
	{name: "LastAttemptLapseFreesKeyAndClaimGoesOn", test: lastAttemptLapseFreesKeyAndClaimGoesOn},
	{name: "ClaimLeaseEndsAtNowPlusLease", test: claimLeaseEndsAtNowPlusLease},
	{name: "PingExtendsToNowPlusExtension", test: pingExtendsToNowPlusExtension},
	{name: "PingShortensToNowPlusExtension", test: pingShortensToNowPlusExtension},
	{name: "PingExtendsLease", test: func(t *testing.T, s *suite) {
		f, tl := s.timed(t)
		q := f.queue()
		f.createN(q, 2)
		got := f.claim(q, driver.Fifo, 2, shortLease)
		require.Len(t, got, 2)
		kept, dropped := got[0], got[1]
		before := f.get(kept.Task.ID).LeaseExpiresAt
		require.NoError(t, f.ping(kept.Lease, longLease), "Ping of a live lease")
		after := f.get(kept.Task.ID).LeaseExpiresAt
		assert.True(t, after.After(before), "Ping moves the lease expiry later (%v -> %v)", before, after)
		// The unpinged twin shows when the original lease would have run
		// out; the pinged task must not be handed out with it.
		tl.lapse(shortLease)
		again := f.claim(q, driver.Fifo, 10, longLease)
		require.Equal(t, []int64{dropped.Task.ID}, ids(again), "only the task that was not pinged is claimable again after the original lease length")
		require.NoError(t, f.ping(kept.Lease, longLease), "the pinged lease still holds")
	}},
}

// leaseRuleTasks is how many tasks each lease rule runs on.
const leaseRuleTasks = 3

// Lease rules, each run under every priority rule. The lapsed tasks are
// the only tasks of their queue, or come first in the rule's order however
// the driver places lapsed leases (a choice the contract leaves open).
var (
	expiryMakesTaskClaimableAgain = underEveryRule(func(f *fixture, _ *timeline, r driver.PriorityRule) func(*fixture, *timeline) {
		q := f.queue()
		id := f.create(mixedTasks(q, leaseRuleTasks, 3)...)
		f.claimAll(q, r, id, shortLease)
		return func(f *fixture, _ *timeline) {
			again := f.claim(q, r, 10, longLease)
			assert.ElementsMatch(f.t, id, ids(again), "rule: under %v, tasks whose leases ran out are claimable again", r)
		}
	})

	reclaimGivesNewTokenAndCountsAttempt = underEveryRule(func(f *fixture, _ *timeline, r driver.PriorityRule) func(*fixture, *timeline) {
		q := f.queue()
		id := f.create(mixedTasks(q, leaseRuleTasks, 3)...)
		token := map[int64]int64{}
		for _, c := range f.claimAll(q, r, id, shortLease) {
			token[c.Task.ID] = c.Lease.Token
		}
		return func(f *fixture, _ *timeline) {
			t := f.t
			again := f.claim(q, r, 10, longLease)
			require.ElementsMatch(t, id, ids(again), "under %v, tasks whose leases ran out are claimable again", r)
			for _, c := range again {
				assert.NotEqual(t, token[c.Task.ID], c.Lease.Token, "rule: under %v, a reclaim gives task %d a new lease token", r, c.Task.ID)
				assert.Equal(t, 2, c.Task.Attempt, "rule: under %v, a reclaim counts an attempt (task %d): the lapsed claim used its attempt", r, c.Task.ID)
				assert.Equal(t, 2, f.get(c.Task.ID).Attempt, "rule: under %v, a reclaim counts an attempt, as Get reads it (task %d)", r, c.Task.ID)
			}
		}
	})

	lapsedLeaseHoldsUntilReclaimed = underEveryRule(func(f *fixture, _ *timeline, r driver.PriorityRule) func(*fixture, *timeline) {
		q := f.queue()
		id := f.create(mixedTasks(q, leaseRuleTasks, 3)...)
		held := f.claimAll(q, r, id, shortLease)
		return func(f *fixture, _ *timeline) {
			t := f.t
			require.NoError(t, f.ping(held[0].Lease, longLease), "rule: under %v, a lease that ran out but was not reclaimed still holds: it may ping", r)
			for _, c := range held {
				require.NoError(t, f.finish(outcome(c.Lease, driver.Complete)), "rule: under %v, a slow worker whose lease ran out but was not reclaimed may still complete (task %d)", r, c.Task.ID)
				assert.Equal(t, driver.StateCompleted, f.get(c.Task.ID).State, "under %v: task %d", r, c.Task.ID)
			}
			assert.Empty(t, ids(f.claim(q, r, 10, longLease)), "under %v: completed tasks are not handed out again", r)
		}
	})

	lastAttemptLapseFailsTask = underEveryRule(func(f *fixture, _ *timeline, r driver.PriorityRule) func(*fixture, *timeline) {
		q := f.queue()
		id := f.create(mixedTasks(q, leaseRuleTasks, 1)...)
		held := f.claimAll(q, r, id, shortLease)
		return func(f *fixture, tl *timeline) {
			t := f.t
			var got []driver.ClaimedTask
			lo, hi := tl.around(func() { got = f.claim(q, r, 10, longLease) })
			assert.Empty(t, ids(got), "rule: under %v, a task whose lease ran out on its last attempt is not handed out again", r)
			for _, c := range held {
				rec := f.get(c.Task.ID)
				assert.Equal(t, driver.StateFailed, rec.State, "rule: under %v, the claim that finds a lapse on the last attempt fails the task (task %d)", r, c.Task.ID)
				assert.Equal(t, driver.LeaseExpiredMessage, rec.LastError, "under %v: the failed task's last error says the lease expired", r)
				assert.Equal(t, 1, rec.Attempt, "under %v: it used its one attempt", r)
				tl.within(rec.FinalizedAt, lo, hi, "rule: a task failed for its lapsed last lease is finalised at the time of the claim that failed it")
				assert.ErrorIs(t, f.finish(outcome(c.Lease, driver.Complete)), driver.ErrLeaseLost, "under %v: the lapsed worker's lease was taken when the task failed", r)
				assert.ErrorIs(t, f.ping(c.Lease, longLease), driver.ErrLeaseLost, "under %v: a ping cannot revive the failed task", r)
				assert.Equal(t, driver.StateFailed, f.get(c.Task.ID).State, "under %v", r)
			}
		}
	})

	lastAttemptLapseFreesKeyAndClaimGoesOn = underEveryRule(func(f *fixture, tl *timeline, r driver.PriorityRule) func(*fixture, *timeline) {
		q := f.queue()
		once := driver.NewTask{Queue: q, Payload: []byte("once"), Priority: 5, MaxAttempts: 1, UniqueKey: "k"}
		next := task(q, "next")
		// The task on its last attempt comes first in r's order: older
		// for Fifo, newer for Lifo, higher for Priority.
		var id, nextID int64
		if r == driver.Lifo {
			nextID = f.create(next)[0]
			tl.step()
			id = f.create(once)[0]
		} else {
			id = f.create(once)[0]
			tl.step()
			nextID = f.create(next)[0]
		}
		c := f.claim(q, r, 1, shortLease)
		require.Equal(f.t, []int64{id}, ids(c), "a %v claim of one takes the task first in its order", r)
		return func(f *fixture, _ *timeline) {
			t := f.t
			got := f.claim(q, r, 1, longLease)
			assert.Equal(t, []int64{nextID}, ids(got), "rule: under %v, a task failed for its lapsed last lease does not count against the claim's limit; the claim hands out an available task in its place", r)
			assert.Equal(t, driver.StateFailed, f.get(id).State, "under %v: the claim moves the lapsed task to failed", r)
			again := f.create(once)[0]
			assert.NotEqual(t, id, again, "rule: under %v, a task failed for its lapsed last lease frees its unique key", r)
		}
	})
)

// priorityRules are the claim orders every lease rule runs under.
var priorityRules = []driver.PriorityRule{driver.Fifo, driver.Lifo, driver.Priority}

// ruleName is the subtest name of a priority rule.
func ruleName(r driver.PriorityRule) string {
	switch r {
	case driver.Fifo:
		return "Fifo"
	case driver.Lifo:
		return "Lifo"
	case driver.Priority:
		return "Priority"
	}
	return r.String()
}

// leaseCase prepares one priority rule's case of a lease rule, in a queue
// of its own, up to the point where the leases must run out, and returns
// the check that follows.
type leaseCase func(f *fixture, tl *timeline, r driver.PriorityRule) (check func(f *fixture, tl *timeline))

// underEveryRule runs a lease rule once per priority rule: it prepares the
// case of each rule, lets the leases of all of them run out at once (one
// wait on a store that keeps its own clock), then checks each case in a
// subtest named after its rule ("Lease/ExpiryMakesTaskClaimableAgain/Lifo").
func underEveryRule(prepare leaseCase) func(*testing.T, *suite) {
	return func(t *testing.T, s *suite) {
		f, tl := s.timed(t)
		checks := make([]func(*fixture, *timeline), len(priorityRules))
		for i, r := range priorityRules {
			checks[i] = prepare(f, tl, r)
		}
		tl.lapse(shortLease)
		for i, r := range priorityRules {
			t.Run(ruleName(r), func(t *testing.T) {
				sub := f.on(t)
				checks[i](sub, &timeline{f: sub, c: tl.c})
			})
		}
	}
}

// on returns the fixture for a subtest t of the fixture's test: the same
// driver, failures reported to t.
func (f *fixture) on(t *testing.T) *fixture {
	sub := *f
	sub.t = t
	return &sub
}

// mixedTasks returns n tasks of q with priorities and payloads that differ,
// so that every priority rule orders them differently.
func mixedTasks(q string, n, maxAttempts int) []driver.NewTask {
	prios := []int{0, 5, -3, 2, 9}
	tasks := make([]driver.NewTask, n)
	for i := range tasks {
		tasks[i] = driver.NewTask{Queue: q, Payload: []byte{byte('a' + i)}, Priority: prios[i%len(prios)], MaxAttempts: maxAttempts}
	}
	return tasks
}

// claimAll claims every task of q under rule with lease, in one call, and
// fails unless exactly want came back.
func (f *fixture) claimAll(q string, rule driver.PriorityRule, want []int64, lease time.Duration) []driver.ClaimedTask {
	f.t.Helper()
	got := f.claim(q, rule, len(want), lease)
	require.ElementsMatch(f.t, want, ids(got), "a %v claim hands out every available task", rule)
	return got
}
