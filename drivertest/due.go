package drivertest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
)

// manyDueNames is how many times ManyNamesLineUp names each of its two
// queues in one Due call: more than a store's script takes at once (a
// Redis script passes each queue's five keys to one command, on its stack
// of 8,000 values).
const manyDueNames = 2000

// dueRules pin driver.DueReporter: per queue, zero when a claim would hand
// out a task now, the time until one would otherwise, NotDue when none
// ever would; and the call changes nothing.
var dueRules = []rule{
	{name: "EmptyQueueIsNotDue", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		r := f.dueReporter()
		q, done := f.queue(), f.queue()
		f.inState(done, driver.StateCompleted)
		f.inState(done, driver.StateFailed)
		assert.Equal(t, []time.Duration{driver.NotDue, driver.NotDue}, f.due(r, q, done),
			"rule: a queue with no pending or running task is NotDue (empty, or only final tasks)")
		got, err := r.Due(f.ctx, nil)
		require.NoError(t, err, "Due of no queue")
		assert.Empty(t, got, "rule: Due of no queue returns no durations")
	}},
	{name: "PendingNowIsZero", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		r := f.dueReporter()
		q := f.queue()
		later := task(q, "later")
		later.Delay = farDelay
		f.create(later, task(q, "now"))
		assert.Equal(t, []time.Duration{0}, f.due(r, q), "rule: a queue with a pending task whose run-at has come is due now (zero)")
	}},
	{name: "FutureRunAtIsTheDelay", test: func(t *testing.T, s *suite) {
		f, tl := s.timed(t)
		r := f.dueReporter()
		q := f.queue()
		later, latest := task(q, "later"), task(q, "latest")
		later.Delay, latest.Delay = farDelay, 2*farDelay
		id := f.create(latest, later)[1]
		runAt := f.get(id).RunAt
		tl.step()
		tl.dueWithin(r, q, runAt, "rule: a queue whose earliest pending task is delayed is due at that task's run-at")
	}},
	{name: "EarliestRunAtWhateverPriority", test: func(t *testing.T, s *suite) {
		f, tl := s.timed(t)
		r := f.dueReporter()
		q := f.queue()
		high, low := task(q, "high priority, later"), task(q, "low priority, sooner")
		high.Priority, high.Delay = 10, 2*farDelay
		low.Priority, low.Delay = -10, farDelay
		id := f.create(high, low)[1]
		runAt := f.get(id).RunAt
		tl.step()
		tl.dueWithin(r, q, runAt, "rule: a queue is due at its earliest run-at, whatever the priorities (a lower-priority task comes due first)")
		now := task(q, "lowest priority, now")
		now.Priority = -20
		f.create(now)
		assert.Equal(t, []time.Duration{0}, f.due(r, q),
			"rule: a queue with a task available now is due now (zero), though tasks of higher priority wait for their run-at")
	}},
	{name: "LapsedLeaseIsZero", test: func(t *testing.T, s *suite) {
		f, clk := s.clocked(t)
		r := f.dueReporter()
		q := f.queue()
		f.create(task(q, "x"))
		f.claimOne(q, lapseLease(clk))
		f.lapse(clk)
		assert.Equal(t, []time.Duration{0}, f.due(r, q), "rule: a queue with a running task whose lease ran out is due now (zero)")
	}},
	{name: "RunningLeaseUntilExpiry", test: func(t *testing.T, s *suite) {
		f, tl := s.timed(t)
		r := f.dueReporter()
		q := f.queue()
		later := task(q, "later")
		later.Delay = farDelay
		f.create(later)
		id := f.create(task(q, "running"))[0]
		f.claimOne(q, longLease)
		end := f.get(id).LeaseExpiresAt
		tl.step()
		tl.dueWithin(r, q, end, "rule: a queue whose running task's lease ends before any pending task's run-at is due when that lease ends")
	}},
	{name: "PausedQueueIsNotDue", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		r := f.dueReporter()
		a := f.admin()
		q := f.queue()
		f.create(task(q, "x"))
		f.pause(a, q)
		assert.Equal(t, []time.Duration{driver.NotDue}, f.due(r, q), "rule: a paused queue is NotDue, whatever tasks it holds")
		f.resume(a, q)
		assert.Equal(t, []time.Duration{0}, f.due(r, q), "rule: a resumed queue is due again")
	}},
	{name: "ResultsLineUpWithInput", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		r := f.dueReporter()
		empty, now, later := f.queue(), f.queue(), f.queue()
		f.create(task(now, "now"))
		delayed := task(later, "later")
		delayed.Delay = farDelay
		f.create(delayed)
		// Not a palindrome: a result slice reversed or shifted fails.
		got := f.due(r, empty, now, later, now, now)
		require.Len(t, got, 5, "rule: Due returns one duration per queue")
		assert.Equal(t, []time.Duration{driver.NotDue, 0}, got[:2], "rule: Due's results line up with its queues")
		assert.Greater(t, got[2], farDelay/2, "rule: Due's results line up with its queues (the delayed queue)")
		assert.LessOrEqual(t, got[2], farDelay, "rule: Due's results line up with its queues (the delayed queue)")
		assert.Equal(t, []time.Duration{0, 0}, got[3:], "rule: Due's results line up with its queues, a queue named again answered again")
	}},
	{name: "ManyNamesLineUp", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		r := f.dueReporter()
		empty, now := f.queue(), f.queue()
		f.create(task(now, "now"))
		// Names may repeat, and a process serving many queues asks for all
		// of them in one call: a store that splits such a call (per
		// script, per slot) must still answer each name in its place.
		names := make([]string, 0, 2*manyDueNames)
		for range manyDueNames {
			names = append(names, now, empty)
		}
		got := f.due(r, names...)
		for i, d := range got {
			want := time.Duration(0)
			if i%2 == 1 {
				want = driver.NotDue
			}
			require.Equal(t, want, d, "rule: Due of %d names, one queue named many times, answers name %d in its place", len(names), i)
		}
	}},
	{name: "DueChangesNothing", test: func(t *testing.T, s *suite) {
		f, clk := s.clocked(t)
		r := f.dueReporter()
		q := f.queue()
		spent := task(q, "last attempt")
		spent.MaxAttempts = 1
		id := f.create(spent)[0]
		f.claimOne(q, lapseLease(clk))
		pending := f.create(task(q, "pending"))[0]
		f.lapse(clk)
		before := []driver.TaskRecord{f.get(id), f.get(pending)}
		f.due(r, q)
		f.unchanged(before[0], f.get(id), "rule: Due changes nothing: a task whose last lease ran out stays running until a claim")
		f.unchanged(before[1], f.get(pending), "rule: Due changes nothing")
	}},
	{name: "BadQueueNamesRefused", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		r := f.dueReporter()
		_, err := r.Due(f.ctx, []string{f.queue(), ""})
		assert.ErrorIs(t, err, driver.ErrInvalid, "Due with an empty queue name")
		_, err = r.Due(f.ctx, []string{"bad name"})
		assert.ErrorIs(t, err, driver.ErrInvalid, "Due with a space in a queue name")
	}},
	{name: "CancelledContextOrClosedDriverRefused", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		r := f.dueReporter()
		q := f.queue()
		f.create(task(q, "x"))
		_, err := r.Due(cancelled(f.ctx), []string{q})
		assert.ErrorIs(t, err, context.Canceled, "rule: Due with a cancelled context returns the context's error")
		require.NoError(t, f.d.Close(), "Close")
		_, err = r.Due(f.ctx, []string{q})
		assert.ErrorIs(t, err, driver.ErrClosed, "Due after Close")
		_, err = r.Due(f.ctx, []string{""})
		assert.ErrorIs(t, err, driver.ErrClosed, "rule: a closed driver says so before it judges the input (Due)")
	}},
}

// dueReporter is admin for driver.DueReporter.
func (f *fixture) dueReporter() driver.DueReporter {
	f.t.Helper()
	r, ok := f.d.(driver.DueReporter)
	if !ok {
		f.s.missing(f.t, CapDue, "the driver does not implement driver.DueReporter")
	}
	return r
}

// due calls Due, failing on any error or a result of the wrong length.
func (f *fixture) due(r driver.DueReporter, queues ...string) []time.Duration {
	f.t.Helper()
	got, err := r.Due(f.ctx, queues)
	require.NoError(f.t, err, "Due(%q)", queues)
	require.Len(f.t, got, len(queues), "rule: Due returns one duration per queue")
	return got
}

// dueWithin checks that Due of q says the store's time at: the duration it
// returns, added to the store's time of the call, is at, exactly on the
// suite's clock and within the store's precision on its own.
func (tl *timeline) dueWithin(r driver.DueReporter, q string, at time.Time, what string) {
	f := tl.f
	f.t.Helper()
	var got []time.Duration
	lo, hi := tl.around(func() { got = f.due(r, q) })
	require.Positive(f.t, got[0], "%s: still in the future, so neither zero nor NotDue", what)
	// got = at - now, for a now between lo and hi: now = at - got.
	tl.within(at.Add(-got[0]), lo, hi, what+": Due is the time from the store's now until then")
}
