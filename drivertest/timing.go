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
