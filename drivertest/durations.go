package drivertest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
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
