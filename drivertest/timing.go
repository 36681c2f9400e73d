package drivertest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/internal/testclock"
)

// timePrecision is the tolerance of the exact-duration checks on a store
// that keeps its own clock: the coarsest precision the suite allows a store
// to keep its times in (PostgreSQL keeps microseconds, Redis milliseconds
// in places). On the suite's clock the checks are exact: it moves in whole
// milliseconds.
const timePrecision = time.Millisecond

// gap is how much of the store's time a subtest lets pass between two
// steps whose times must differ (a creation and a release), on a store
// that keeps its own clock; the suite's clock moves by clockGap instead.
const (
	gap      = 20 * time.Millisecond
	clockGap = time.Minute
)

// timeline is how a subtest reads and moves the store's time: through the
// suite's clock when the harness has NewClocked, and otherwise through the
// store itself (the creation time of probe tasks in side queues), waiting
// on conditions for real time to pass.
type timeline struct {
	f *fixture
	c *testclock.Clock // nil: the store keeps its own clock
}

// timed returns a fixture on the suite's clock when the harness has one,
// and the timeline to read and move its time with.
func (s *suite) timed(t *testing.T) (*fixture, *timeline) {
	t.Helper()
	f, c := s.clocked(t)
	return f, &timeline{f: f, c: c}
}

// tolerance is how far a stored time may be from the one the contract
// gives: nothing on the suite's clock, timePrecision on the store's own.
func (tl *timeline) tolerance() time.Duration {
	if tl.c != nil {
		return 0
	}
	return timePrecision
}

// now returns the store's time: the clock's, or the creation time of a new
// probe task in a side queue.
func (tl *timeline) now() time.Time {
	tl.f.t.Helper()
	if tl.c != nil {
		return tl.c.Now()
	}
	probe := tl.f.create(task(tl.f.queue(), "clock probe"))[0]
	return tl.f.get(probe).CreatedAt
}

// around calls fn and returns times of the store no later and no earlier
// than the time fn's call read: equal on the suite's clock, which does not
// move by itself.
func (tl *timeline) around(fn func()) (lo, hi time.Time) {
	tl.f.t.Helper()
	lo = tl.now()
	fn()
	hi = tl.now()
	return lo, hi
}

// pass lets d of the store's time pass: moves the clock, or waits until a
// probe shows the store's clock d past where it was.
func (tl *timeline) pass(d time.Duration) {
	tl.f.t.Helper()
	if tl.c != nil {
		tl.c.Add(d)
		return
	}
	tl.reach(tl.now().Add(d))
}

// step lets enough time pass that the steps before and after it have
// distinct times: clockGap on the suite's clock, gap on the store's.
func (tl *timeline) step() {
	tl.f.t.Helper()
	if tl.c != nil {
		tl.c.Add(clockGap)
		return
	}
	tl.pass(gap)
}

// orderDelay is the delay of a task that must become available after
// tasks created just after it: on the suite's clock any delay will do, on
// the store's it must outlast a few creates on a loaded machine.
func (tl *timeline) orderDelay() time.Duration {
	if tl.c != nil {
		return 200 * time.Millisecond
	}
	return time.Second
}

// reach lets the store's time reach at: moves the clock there, or waits
// until a probe is created at or after it.
func (tl *timeline) reach(at time.Time) {
	tl.f.t.Helper()
	if tl.c != nil {
		if d := at.Sub(tl.c.Now()); d > 0 {
			tl.c.Add(d)
		}
		return
	}
	tl.f.waitFor("the store's clock reaches "+at.String(), func() bool { return !tl.now().Before(at) })
}

// lapse lets every lease of length lease taken before the call run out: on
// the suite's clock by moving it past the lease's end, on the store's by
// waiting until a lease of that length taken after the call has run out
// (fixture.lapsed).
func (tl *timeline) lapse(lease time.Duration) {
	tl.f.t.Helper()
	if tl.c != nil {
		tl.c.Add(lease + time.Millisecond)
		return
	}
	tl.f.lapsed(lease)
}

// within asserts that got lies between lo and hi, give or take the
// tolerance, and says how far off it is when not.
func (tl *timeline) within(got, lo, hi time.Time, what string) bool {
	tl.f.t.Helper()
	tol := tl.tolerance()
	switch {
	case got.Before(lo.Add(-tol)):
		return assert.Fail(tl.f.t, what, "%v too early: got %v, want no earlier than %v%s", lo.Sub(got), got, lo, tl.hint(tol))
	case got.After(hi.Add(tol)):
		return assert.Fail(tl.f.t, what, "%v too late: got %v, want no later than %v%s", got.Sub(hi), got, hi, tl.hint(tol))
	}
	return true
}

// hint is the part of a failure message that states the tolerance, and on
// the suite's clock reminds the author where the driver must read the time.
func (tl *timeline) hint(tol time.Duration) string {
	if tl.c != nil {
		return " (exactly, on the suite's clock; a driver made by NewClocked must read every time from the clock it is given, never time.Now)"
	}
	return " (give or take " + tol.String() + ", the store's time precision)"
}

// dueAt checks that a task of q becomes claimable at the store's time at
// and not before, and returns it. On the suite's clock: nothing a
// millisecond before at, the task at at. On the store's own clock it
// claims until the task comes back, and fails if a probe created right
// after the successful claim is still before at (the claim was early).
func (tl *timeline) dueAt(q string, rule driver.PriorityRule, at time.Time, what string) driver.ClaimedTask {
	f := tl.f
	f.t.Helper()
	if tl.c != nil {
		before := at.Add(-time.Millisecond)
		if d := before.Sub(tl.c.Now()); d < 0 {
			f.t.Fatalf("%s: it was due at %v, but the clock already reads %v", what, at, tl.c.Now())
		} else {
			tl.c.Add(d)
		}
		got := f.claim(q, rule, 10, longLease)
		require.Empty(f.t, ids(got), "rule: %s, and not a moment before: claimable a millisecond early (due at %v)", what, at)
		tl.c.Add(time.Millisecond)
		got = f.claim(q, rule, 1, longLease)
		require.Len(f.t, got, 1, "rule: %s: not claimable at that time (%v)", what, at)
		return got[0]
	}
	var c driver.ClaimedTask
	f.waitFor(what, func() bool {
		got := f.claim(q, rule, 1, longLease)
		if len(got) == 0 {
			return false
		}
		c = got[0]
		after := tl.now()
		require.False(f.t, after.Before(at.Add(-timePrecision)),
			"rule: %s, and not before: handed out while the store's clock read at most %v, %v early", what, after, at.Sub(after))
		return true
	})
	return c
}

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

// Exact durations: each duration ends at the store's now plus the duration,
// neither earlier nor later.
var (
	claimLeaseEndsAtNowPlusLease = func(t *testing.T, s *suite) {
		f, tl := s.timed(t)
		q := f.queue()
		id := f.create(task(q, "x"))[0]
		tl.step() // the claim's now differs from the creation time
		lease := shortLease
		var c driver.ClaimedTask
		lo, hi := tl.around(func() { c = f.claimOne(q, lease) })
		tl.within(c.Task.LeaseExpiresAt, lo.Add(lease), hi.Add(lease), "rule: a claim's lease ends at now plus the lease length (as Claim returns it)")
		tl.within(f.get(id).LeaseExpiresAt, lo.Add(lease), hi.Add(lease), "rule: a claim's lease ends at now plus the lease length (as Get reads it)")
		again := tl.dueAt(q, driver.Fifo, lo.Add(lease), "a task whose lease ran out is claimable again from the lease's end")
		assert.Equal(t, id, again.Task.ID)
	}

	pingExtendsToNowPlusExtension = func(t *testing.T, s *suite) {
		f, tl := s.timed(t)
		q := f.queue()
		id := f.create(task(q, "x"))[0]
		lease, extend := longLease, 2*longLease
		c := f.claimOne(q, lease)
		tl.step() // the ping's now differs from the claim's
		var err error
		lo, hi := tl.around(func() { err = f.ping(c.Lease, extend) })
		require.NoError(t, err, "Ping of a live lease")
		tl.within(f.get(id).LeaseExpiresAt, lo.Add(extend), hi.Add(extend), "rule: a ping extends the lease to now plus the extension (not the old end, nor the claim time, plus it)")
		if tl.c != nil { // on the store's clock, the extension is too long to wait for
			again := tl.dueAt(q, driver.Fifo, lo.Add(extend), "a pinged lease holds until now plus the extension, and runs out then")
			assert.Equal(t, id, again.Task.ID)
		}
	}

	pingShortensToNowPlusExtension = func(t *testing.T, s *suite) {
		f, tl := s.timed(t)
		q := f.queue()
		id := f.create(task(q, "x"))[0]
		c := f.claimOne(q, longLease)
		var err error
		lo, hi := tl.around(func() { err = f.ping(c.Lease, shortLease) })
		require.NoError(t, err, "Ping of a live lease")
		tl.within(f.get(id).LeaseExpiresAt, lo.Add(shortLease), hi.Add(shortLease), "rule: a ping sets the lease's end to now plus the extension, even when that is sooner than its end was")
		again := tl.dueAt(q, driver.Fifo, lo.Add(shortLease), "a lease pinged with a short extension runs out at now plus that extension")
		assert.Equal(t, id, again.Task.ID)
	}

	runAtIsNowPlusDelay = func(t *testing.T, s *suite) {
		f, tl := s.timed(t)
		q := f.queue()
		later := task(q, "later")
		later.Delay = farDelay
		var id int64
		lo, hi := tl.around(func() { id = f.create(later)[0] })
		r := f.get(id)
		tl.within(r.CreatedAt, lo, hi, "rule: a task's creation time is the store's now")
		tl.within(r.RunAt, lo.Add(farDelay), hi.Add(farDelay), "rule: a delayed task's run-at is now plus its delay")
		tl.within(r.RunAt, r.CreatedAt.Add(farDelay), r.CreatedAt.Add(farDelay), "rule: a delayed task's run-at is its creation time plus its delay")
	}

	delayedTaskClaimableFromRunAtNotBefore = func(t *testing.T, s *suite) {
		f, tl := s.timed(t)
		q := f.queue()
		soon := task(q, "soon")
		soon.Delay = 200 * time.Millisecond
		var id int64
		lo, _ := tl.around(func() { id = f.create(soon)[0] })
		c := tl.dueAt(q, driver.Fifo, lo.Add(soon.Delay), "a delayed task becomes claimable at its run-at")
		require.Equal(t, id, c.Task.ID)
	}

	releaseDelayCountsFromRelease = func(t *testing.T, s *suite) {
		f, tl := s.timed(t)
		q := f.queue()
		id := f.create(task(q, "x"))[0]
		tl.step()
		c := f.claimOne(q, longLease)
		tl.step()
		require.NoError(t, f.finish(outcome(c.Lease, driver.Release)), "a release without delay")
		tl.step()
		c = f.claimOne(q, longLease)
		require.Equal(t, id, c.Task.ID)
		tl.step()
		// Creation, first claim, old run-at, second claim and release now
		// each have a time of their own.
		delay := 200 * time.Millisecond
		var err error
		lo, hi := tl.around(func() {
			err = f.finish(driver.Outcome{Lease: c.Lease, Kind: driver.Release, Delay: delay})
		})
		require.NoError(t, err, "a release with a delay")
		tl.within(f.get(id).RunAt, lo.Add(delay), hi.Add(delay), "rule: a release delay counts from the release (not from the task's creation, its claim or its old run-at)")
		again := tl.dueAt(q, driver.Fifo, lo.Add(delay), "a task released with a delay is claimable once the delay has passed since the release")
		assert.Equal(t, id, again.Task.ID)
	}
)
