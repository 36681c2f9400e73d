package drivertest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
)

// staleCall is one call a lease can make: a ping, or an outcome.
type staleCall struct {
	name string
	ping bool
	o    driver.Outcome
}

// staleCalls lists every call a lease can make: a ping, and outcomes of
// every kind, with a message, with a delay and with KeepAttempt.
func staleCalls(l driver.Lease) []staleCall {
	return []staleCall{
		{name: "ping", ping: true},
		{name: "complete with a message", o: driver.Outcome{Lease: l, Kind: driver.Complete, Message: "stale complete"}},
		{name: "cancel with a message", o: driver.Outcome{Lease: l, Kind: driver.Cancel, Message: "stale cancel"}},
		{name: "fail with a message", o: driver.Outcome{Lease: l, Kind: driver.Fail, Message: "stale fail"}},
		{name: "release with a message", o: driver.Outcome{Lease: l, Kind: driver.Release, Message: "stale release"}},
		{name: "release with a delay", o: driver.Outcome{Lease: l, Kind: driver.Release, Delay: farDelay}},
		{name: "release with KeepAttempt", o: driver.Outcome{Lease: l, Kind: driver.Release, KeepAttempt: true}},
		{name: "snooze (release with KeepAttempt, a delay and a message)", o: driver.Outcome{Lease: l, Kind: driver.Release, KeepAttempt: true, Delay: 2 * farDelay, Message: "stale snooze"}},
		{name: "complete without a message", o: driver.Outcome{Lease: l, Kind: driver.Complete}},
	}
}

// isAny reports whether err is one of want.
func isAny(err error, want []error) bool {
	for _, w := range want {
		if errors.Is(err, w) {
			return true
		}
	}
	return false
}

// refuseAll makes every call of staleCalls with lease l, one at a time,
// and checks that each is refused with one of pingWant (for the ping) or
// finishWant (for outcomes) and leaves the task's record exactly as before.
func (f *fixture) refuseAll(l driver.Lease, origin string, pingWant, finishWant []error) {
	f.t.Helper()
	before := f.get(l.TaskID)
	for _, c := range staleCalls(l) {
		var err error
		want := finishWant
		if c.ping {
			err = f.ping(l, 2*longLease)
			want = pingWant
		} else {
			err = f.finish(c.o)
		}
		assert.True(f.t, isAny(err, want), "rule: a %s by a lease %s is refused with one of %v, got %v", c.name, origin, want, err)
		f.unchanged(before, f.get(l.TaskID), "rule: a refused call changes nothing: a %s by a lease %s (answered %v)", c.name, origin, err)
	}
}

var (
	lost       = []error{driver.ErrLeaseLost}
	conflict   = []error{driver.ErrTaskConflict}
	lostOrDone = []error{driver.ErrLeaseLost, driver.ErrTaskConflict}
)

var refusedRules = []rule{
	{name: "AfterReclaimChangesNothing", test: func(t *testing.T, s *suite) {
		f, clk := s.clocked(t)
		q := f.queue()
		stale, live := f.reclaimed(q, clk)
		require.NoError(t, f.ping(live.Lease, longLease), "the live lease holds")
		tick(clk)
		f.refuseAll(stale.Lease, "whose task was reclaimed", lost, lost)
		require.NoError(t, f.finish(outcome(live.Lease, driver.Complete)), "the live lease still holds after the refused calls")
	}},
	{name: "AfterReleaseChangesNothing", test: func(t *testing.T, s *suite) {
		f, clk := s.clocked(t)
		releases := []driver.Outcome{
			{Kind: driver.Release, Message: "released"},
			{Kind: driver.Release, Message: "snoozed", KeepAttempt: true, Delay: farDelay},
		}
		for _, rel := range releases {
			q := f.queue()
			f.create(task(q, "x"))
			c := f.claimOne(q, longLease)
			rel.Lease = c.Lease
			require.NoError(t, f.finish(rel))
			tick(clk)
			// A repeated outcome of the lease that released the task may
			// be answered ErrLeaseLost or ErrTaskConflict; what matters
			// here is that it changes nothing.
			f.refuseAll(c.Lease, fmt.Sprintf("that released its task (%q)", rel.Message), lostOrDone, lostOrDone)
		}
	}},
	{name: "AfterOutsideCancelChangesNothing", test: func(t *testing.T, s *suite) {
		f, clk := s.clocked(t)
		a := f.admin()
		for _, released := range []bool{false, true} {
			q := f.queue()
			id := f.create(task(q, "x"))[0]
			c := f.claimOne(q, longLease)
			origin := "whose running task was cancelled from outside"
			if released {
				require.NoError(t, f.finish(driver.Outcome{Lease: c.Lease, Kind: driver.Release, Message: "released"}))
				origin = "whose released task was cancelled from outside"
			}
			errs, err := a.Cancel(f.ctx, []int64{id})
			require.NoError(t, err)
			require.NoError(t, errs[0], "Cancel")
			tick(clk)
			f.refuseAll(c.Lease, origin, lost, lost)
		}
	}},
	{name: "AfterFinaliseChangesNothing", test: func(t *testing.T, s *suite) {
		f, clk := s.clocked(t)
		for _, k := range []driver.OutcomeKind{driver.Complete, driver.Cancel, driver.Fail} {
			q := f.queue()
			f.create(task(q, "x"))
			c := f.claimOne(q, longLease)
			require.NoError(t, f.finish(driver.Outcome{Lease: c.Lease, Kind: k, Message: "final " + k.String()}))
			tick(clk)
			f.refuseAll(c.Lease, "that finalised its task with "+k.String(), lost, conflict)
		}
	}},
	{name: "AfterLastAttemptLapseChangesNothing", test: func(t *testing.T, s *suite) {
		f, clk := s.clocked(t)
		q := f.queue()
		one := task(q, "once")
		one.MaxAttempts = 1
		id := f.create(one)[0]
		c := f.claimOne(q, lapseLease(clk))
		f.lapse(clk)
		f.claimNone(q, "the lapsed last attempt fails the task")
		require.Equal(t, driver.StateFailed, f.get(id).State, "a lapse on the last attempt fails the task")
		tick(clk)
		f.refuseAll(c.Lease, "whose last attempt lapsed and failed", lost, lost)
	}},
	{name: "RefusedItemsInMixedBatchChangeNothing", test: func(t *testing.T, s *suite) {
		f, clk := s.clocked(t)
		a, hasAdmin := f.d.(driver.Admin)
		// Without Admin the "cancelled" task is cancelled by its own lease,
		// which then finds it final.
		cancelledWant := driver.ErrLeaseLost
		if !hasAdmin {
			cancelledWant = driver.ErrTaskConflict
		}
		stale, live := f.reclaimed(f.queue(), clk)
		q := f.queue()
		const (
			released = iota
			cancelled
			finalised
			pinged1
			pinged2
			applied1
			applied2
			applied3
			n
		)
		f.createN(q, n)
		c := f.claim(q, driver.Fifo, n, longLease)
		require.Len(t, c, n)
		require.NoError(t, f.finish(driver.Outcome{Lease: c[released].Lease, Kind: driver.Release, Message: "released"}))
		require.NoError(t, f.finish(driver.Outcome{Lease: c[finalised].Lease, Kind: driver.Complete, Message: "done"}))
		if hasAdmin {
			errs, err := a.Cancel(f.ctx, []int64{c[cancelled].Task.ID})
			require.NoError(t, err)
			require.NoError(t, errs[0], "Cancel")
		} else {
			require.NoError(t, f.finish(driver.Outcome{Lease: c[cancelled].Lease, Kind: driver.Cancel, Message: "cancelled"}))
		}
		tick(clk)
		refused := map[string]int64{
			"reclaimed": stale.Task.ID, "released": c[released].Task.ID,
			"cancelled": c[cancelled].Task.ID, "finalised": c[finalised].Task.ID,
		}
		before := map[int64]driver.TaskRecord{}
		for _, id := range refused {
			before[id] = f.get(id)
		}
		check := func(call string) {
			t.Helper()
			for origin, id := range refused {
				f.unchanged(before[id], f.get(id), "rule: a refused item of a %s batch changes nothing, also next to applied items (the stale lease of the %s task %d)", call, origin, id)
			}
			_, err := f.d.Get(f.ctx, unknownID)
			assert.ErrorIs(t, err, driver.ErrTaskNotFound, "rule: an item refused with ErrTaskNotFound creates no task")
		}

		p1, p2 := f.get(c[pinged1].Task.ID), f.get(c[pinged2].Task.ID)
		errs, err := f.d.Ping(f.ctx, []driver.Lease{
			c[pinged1].Lease, stale.Lease, c[released].Lease, c[pinged2].Lease,
			c[finalised].Lease, {TaskID: unknownID, Token: 1}, c[cancelled].Lease,
		}, 2*longLease)
		require.NoError(t, err, "Ping")
		require.Len(t, errs, 7, "Ping returns one error per lease")
		assert.NoError(t, errs[0], "a live lease next to refused ones")
		assert.ErrorIs(t, errs[1], driver.ErrLeaseLost, "a reclaimed lease")
		assert.True(t, isAny(errs[2], lostOrDone), "a lease that released its task: %v", errs[2])
		assert.NoError(t, errs[3], "a live lease next to refused ones")
		assert.ErrorIs(t, errs[4], driver.ErrLeaseLost, "a lease that finalised its task")
		assert.ErrorIs(t, errs[5], driver.ErrTaskNotFound, "an unknown ID")
		assert.ErrorIs(t, errs[6], driver.ErrLeaseLost, "a lease whose task was cancelled")
		check("Ping")
		assert.True(t, f.get(c[pinged1].Task.ID).LeaseExpiresAt.After(p1.LeaseExpiresAt), "the live leases of the batch were extended")
		assert.True(t, f.get(c[pinged2].Task.ID).LeaseExpiresAt.After(p2.LeaseExpiresAt), "the live leases of the batch were extended")

		errs, err = f.d.Finish(f.ctx, []driver.Outcome{
			{Lease: c[applied1].Lease, Kind: driver.Complete, Message: "applied"},
			{Lease: stale.Lease, Kind: driver.Fail, Message: "stale"},
			{Lease: c[applied2].Lease, Kind: driver.Fail, Message: "applied"},
			{Lease: c[released].Lease, Kind: driver.Release, Delay: farDelay, Message: "stale"},
			{Lease: c[applied3].Lease, Kind: driver.Release, KeepAttempt: true, Message: "applied"},
			{Lease: c[cancelled].Lease, Kind: driver.Complete, Message: "stale"},
			{Lease: driver.Lease{TaskID: unknownID, Token: 1}, Kind: driver.Complete},
			{Lease: c[finalised].Lease, Kind: driver.Release, KeepAttempt: true, Message: "stale"},
		})
		require.NoError(t, err, "Finish")
		require.Len(t, errs, 8, "Finish returns one error per outcome")
		assert.NoError(t, errs[0])
		assert.ErrorIs(t, errs[1], driver.ErrLeaseLost, "a reclaimed lease")
		assert.NoError(t, errs[2])
		assert.True(t, isAny(errs[3], lostOrDone), "a lease that released its task: %v", errs[3])
		assert.NoError(t, errs[4])
		assert.ErrorIs(t, errs[5], cancelledWant, "a lease whose task was cancelled")
		assert.ErrorIs(t, errs[6], driver.ErrTaskNotFound, "an unknown ID")
		assert.ErrorIs(t, errs[7], driver.ErrTaskConflict, "a lease that finalised its task")
		check("Finish")
		assert.Equal(t, driver.StateCompleted, f.get(c[applied1].Task.ID).State, "the applied items of the batch were applied")
		assert.Equal(t, driver.StateFailed, f.get(c[applied2].Task.ID).State, "the applied items of the batch were applied")
		assert.Equal(t, driver.StatePending, f.get(c[applied3].Task.ID).State, "the applied items of the batch were applied")
		require.NoError(t, f.finish(outcome(live.Lease, driver.Complete)), "the live lease of the reclaimed task still holds")
	}},
}
