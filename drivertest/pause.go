package drivertest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
)

// pauseRules pin Admin.Pause, Admin.Resume and Admin.PausedQueues: a
// paused queue hands out nothing and changes nothing at Claim, and
// everything else about it goes on.
var pauseRules = []rule{
	{name: "PausedClaimGetsNothing", test: func(t *testing.T, s *suite) {
		f, clk := s.clocked(t)
		a := f.admin()
		q := f.queue()
		lapsing := f.create(task(q, "lapsing"))[0]
		f.claimOne(q, lapseLease(clk))
		last := task(q, "last attempt")
		last.MaxAttempts = 1
		spent := f.create(last)[0]
		f.claimOne(q, lapseLease(clk))
		waiting := f.create(task(q, "waiting"))[0]
		f.pause(a, q)
		f.lapse(clk)
		before := map[int64]driver.TaskRecord{lapsing: f.get(lapsing), spent: f.get(spent), waiting: f.get(waiting)}
		for _, rule := range priorityRules {
			got := f.claim(q, rule, 10, longLease)
			require.Empty(t, ids(got), "rule: a paused queue hands out nothing under %s: no pending task, no task whose lease ran out", rule)
		}
		for id, was := range before {
			f.unchanged(was, f.get(id), "rule: a claim of a paused queue changes nothing (task %d; a task whose last lease ran out is not failed either)", id)
		}
	}},
	{name: "PausedQueueAcceptsCreate", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		a := f.admin()
		q := f.queue()
		f.pause(a, q)
		id := f.create(task(q, "while paused"))[0]
		r := f.get(id)
		assert.Equal(t, driver.StatePending, r.State, "rule: a paused queue still stores new tasks, pending")
		f.claimNone(q, "the queue is paused")
	}},
	{name: "RunningTaskFinishesWhilePaused", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		a := f.admin()
		q := f.queue()
		id := f.create(task(q, "running"))[0]
		c := f.claimOne(q, longLease)
		f.pause(a, q)
		require.NoError(t, f.ping(c.Lease, longLease), "rule: a running task of a paused queue pings as usual")
		require.NoError(t, f.finish(outcome(c.Lease, driver.Complete)), "rule: a running task of a paused queue finishes as usual")
		assert.Equal(t, driver.StateCompleted, f.get(id).State, "rule: a running task of a paused queue finishes as usual")
	}},
	{name: "ResumeMakesTasksClaimable", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		a := f.admin()
		q, other := f.queue(), f.queue()
		id := f.create(task(q, "x"))[0]
		otherID := f.create(task(other, "y"))[0]
		f.pause(a, q)
		f.claimNone(q, "the queue is paused")
		assert.Equal(t, otherID, f.claimOne(other, longLease).Task.ID, "rule: pausing one queue leaves the others as they were")
		f.resume(a, q)
		assert.Equal(t, id, f.claimOne(q, longLease).Task.ID, "rule: a resumed queue hands out its tasks again")
	}},
	{name: "PauseAndResumeAreIdempotent", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		a := f.admin()
		q := f.queue()
		id := f.create(task(q, "x"))[0]
		f.resume(a, q) // never paused
		f.pause(a, q)
		f.pause(a, q, q)
		assert.Equal(t, []string{q}, f.paused(a), "rule: pausing a paused queue changes nothing: it is listed once")
		f.claimNone(q, "the queue is paused")
		f.resume(a, q)
		f.resume(a, q)
		assert.Empty(t, f.paused(a), "rule: a resumed queue is no longer paused, however often it was paused")
		assert.Equal(t, id, f.claimOne(q, longLease).Task.ID, "rule: one resume ends a pause made twice")
		f.pause(a)
		f.resume(a)
		assert.Empty(t, f.paused(a), "rule: an empty list pauses and resumes nothing")
	}},
	{name: "PausedQueuesSortedAndExact", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		a := f.admin()
		got := f.paused(a)
		assert.NotNil(t, got, "rule: PausedQueues returns an empty slice, not nil, when none is paused")
		assert.Empty(t, got, "rule: a fresh store has no paused queue")
		base := f.queue()
		names := []string{base + "-c", base + "-a", base + "-b", base, base + "-a-x"}
		f.pause(a, names[:3]...)
		f.pause(a, names[3:]...)
		assert.Equal(t, []string{base, base + "-a", base + "-a-x", base + "-b", base + "-c"}, f.paused(a),
			"rule: PausedQueues lists every paused queue once, in ascending byte order")
		f.resume(a, base+"-a", base+"-nothing")
		assert.Equal(t, []string{base, base + "-a-x", base + "-b", base + "-c"}, f.paused(a),
			"rule: a resume ends the pause of exactly the queues it names (not those sharing a prefix)")
	}},
	{name: "PauseIsDurable", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		a := f.admin()
		q, other := f.queue(), f.queue()
		id := f.create(task(q, "x"))[0]
		f.pause(a, q, other)
		f.resume(a, other)
		g := f.again()
		ga := g.admin()
		assert.Equal(t, []string{q}, g.paused(ga), "rule: a pause is kept by the store: another driver on it sees it")
		g.claimNone(q, "the queue was paused through another driver on the same store")
		g.resume(ga, q)
		assert.Equal(t, id, g.claimOne(q, longLease).Task.ID, "rule: a resumed queue hands out its tasks again")
	}},
	{name: "ResumeWakesSubscribers", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		a := f.admin()
		n := f.notifier()
		q := f.queue()
		f.pause(a, q)
		f.create(task(q, "x"))
		sub := f.subscribe(n, q) // after the create, so its wake-up cannot count
		f.resume(a, q)
		f.awaitWake(sub, "resuming a queue wakes its subscribers, so workers pick its tasks up at once")
	}},
	{name: "BadQueueNamesRefused", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		a := f.admin()
		q := f.queue()
		for _, bad := range [][]string{{""}, {q, "bad name"}, {q, string(make([]byte, driver.MaxQueueNameLen+1))}} {
			assert.ErrorIs(t, a.Pause(f.ctx, bad), driver.ErrInvalid, "Pause(%q)", bad)
			assert.Empty(t, f.paused(a), "rule: a refused Pause pauses nothing of its list")
		}
		f.pause(a, q)
		assert.ErrorIs(t, a.Resume(f.ctx, []string{q, ""}), driver.ErrInvalid, "Resume with an empty name")
		assert.Equal(t, []string{q}, f.paused(a), "rule: a refused Resume resumes nothing of its list")
	}},
	{name: "CancelledContextOrClosedDriverApplyNothing", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		a := f.admin()
		q, held := f.queue(), f.queue()
		f.pause(a, held)
		ctx := cancelled(f.ctx)
		assert.ErrorIs(t, a.Pause(ctx, []string{q}), context.Canceled, "rule: Pause with a cancelled context returns the context's error")
		assert.ErrorIs(t, a.Resume(ctx, []string{held}), context.Canceled, "rule: Resume with a cancelled context returns the context's error")
		_, err := a.PausedQueues(ctx)
		assert.ErrorIs(t, err, context.Canceled, "rule: PausedQueues with a cancelled context returns the context's error")
		assert.Equal(t, []string{held}, f.paused(a), "rule: a Pause or Resume with a cancelled context applies nothing")
		require.NoError(t, f.d.Close(), "Close")
		assert.ErrorIs(t, a.Pause(f.ctx, []string{q}), driver.ErrClosed, "Pause after Close")
		assert.ErrorIs(t, a.Pause(f.ctx, []string{""}), driver.ErrClosed, "rule: a closed driver says so before it judges the input (Pause)")
		assert.ErrorIs(t, a.Resume(f.ctx, []string{held}), driver.ErrClosed, "Resume after Close")
		_, err = a.PausedQueues(f.ctx)
		assert.ErrorIs(t, err, driver.ErrClosed, "PausedQueues after Close")
	}},
}

// pause pauses queues, failing on any error.
func (f *fixture) pause(a driver.Admin, queues ...string) {
	f.t.Helper()
	require.NoError(f.t, a.Pause(f.ctx, queues), "Pause(%q)", queues)
}

// resume resumes queues, failing on any error.
func (f *fixture) resume(a driver.Admin, queues ...string) {
	f.t.Helper()
	require.NoError(f.t, a.Resume(f.ctx, queues), "Resume(%q)", queues)
}

// paused returns the paused queues, failing on any error.
func (f *fixture) paused(a driver.Admin) []string {
	f.t.Helper()
	got, err := a.PausedQueues(f.ctx)
	require.NoError(f.t, err, "PausedQueues")
	return got
}
