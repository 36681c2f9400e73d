package drivertest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
)

var attemptRules = []rule{
	{name: "ErrorReleaseUsesAttempt", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		id := f.create(task(q, "x"))[0]
		c := f.claimOne(q, longLease)
		require.NoError(t, f.finish(driver.Outcome{Lease: c.Lease, Kind: driver.Release, Message: "boom"}))
		r := f.get(id)
		assert.Equal(t, 1, r.Attempt, "a release after an error keeps the attempt used")
		assert.Equal(t, "boom", r.LastError, "the release's message is stored")
		assert.Equal(t, 2, f.claimOne(q, longLease).Task.Attempt, "the next claim is the second attempt")
	}},
	{name: "ShutdownReleaseGivesAttemptBack", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		id := f.create(task(q, "x"))[0]
		c := f.claimOne(q, longLease)
		require.NoError(t, f.finish(driver.Outcome{Lease: c.Lease, Kind: driver.Release, KeepAttempt: true}))
		assert.Equal(t, 0, f.get(id).Attempt, "a release with KeepAttempt gives the attempt back")
		assert.Equal(t, 1, f.claimOne(q, longLease).Task.Attempt, "the next claim is the first attempt again")
	}},
	{name: "LapseUsesAttempt", test: func(t *testing.T, s *suite) {
		f, tl := s.timed(t)
		q := f.queue()
		id := f.create(task(q, "x"))[0]
		f.claimOne(q, shortLease)
		tl.lapse(shortLease)
		again := f.claimOne(q, longLease)
		assert.Equal(t, 2, again.Task.Attempt, "a lease that ran out used its attempt")
		assert.Equal(t, 2, f.get(id).Attempt)
	}},
}

var releaseRules = []rule{
	{name: "WithoutDelayClaimableAtOnce", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		id := f.create(task(q, "x"))[0]
		c := f.claimOne(q, longLease)
		require.NoError(t, f.finish(driver.Outcome{Lease: c.Lease, Kind: driver.Release, Message: "retry me"}))
		r := f.get(id)
		assert.Equal(t, driver.StatePending, r.State, "a released task is pending")
		assert.True(t, r.LeaseExpiresAt.IsZero(), "a released task has no lease")
		assert.Equal(t, "retry me", r.LastError, "the release's message is stored")
		again := f.claimOne(q, longLease)
		assert.Equal(t, id, again.Task.ID, "a release without delay is available at once")
		assert.NotEqual(t, c.Lease.Token, again.Lease.Token, "the new claim has a new token")
	}},
	{name: "WithoutDelayGoesBehindWaitingTasks", test: func(t *testing.T, s *suite) {
		f, tl := s.timed(t)
		q := f.queue()
		id := f.createN(q, 2)
		c := f.claimOne(q, longLease)
		require.Equal(t, id[0], c.Task.ID, "Fifo claims the oldest task")
		tl.step()
		lo, hi := tl.around(func() { require.NoError(t, f.finish(outcome(c.Lease, driver.Release))) })
		tl.within(f.get(id[0]).RunAt, lo, hi, "rule: a release without delay sets run-at to now")
		got := f.claim(q, driver.Fifo, 2, longLease)
		assert.Equal(t, []int64{id[1], id[0]}, ids(got), "rule: under Fifo a released task comes after the tasks that were waiting before its release")
	}},
	{name: "KeepAttemptWithDelay", test: func(t *testing.T, s *suite) {
		f, tl := s.timed(t)
		q := f.queue()
		id := f.create(task(q, "x"))[0]
		c := f.claimOne(q, longLease)
		tl.step()
		lo, hi := tl.around(func() {
			require.NoError(t, f.finish(driver.Outcome{Lease: c.Lease, Kind: driver.Release, Delay: farDelay, KeepAttempt: true}))
		})
		r := f.get(id)
		assert.Zero(t, r.Attempt, "rule: a release with KeepAttempt and a delay gives the attempt back")
		tl.within(r.RunAt, lo.Add(farDelay), hi.Add(farDelay), "rule: a release with KeepAttempt and a delay sets run-at to now plus the delay")
		f.claimNone(q, "a task released with KeepAttempt and a long delay is not available before it")
	}},
	{name: "WithDelayNotBeforeThen", test: func(t *testing.T, s *suite) {
		f, tl := s.timed(t)
		q := f.queue()
		f.createN(q, 2)
		c := f.claim(q, driver.Fifo, 2, longLease)
		require.Len(t, c, 2)
		far, soon := c[0].Task.ID, c[1].Task.ID
		require.NoError(t, f.finish(driver.Outcome{Lease: c[0].Lease, Kind: driver.Release, Delay: farDelay}))
		assert.Equal(t, driver.StatePending, f.get(far).State, "a released task is pending")
		const delay = 200 * time.Millisecond
		lo, _ := tl.around(func() {
			require.NoError(t, f.finish(driver.Outcome{Lease: c[1].Lease, Kind: driver.Release, Delay: delay}))
		})
		got := tl.dueAt(q, driver.Fifo, lo.Add(delay), "a task released with a short delay is available once the delay has passed")
		assert.Equal(t, soon, got.Task.ID, "only the task whose delay passed is available")
		f.claimNone(q, "a task released with a long delay is not available before it")
	}},
	{name: "DelayCountsFromRelease", test: releaseDelayCountsFromRelease},
}
