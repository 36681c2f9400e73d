package drivertest

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
)

var fencingRules = []rule{
	{name: "StaleLeaseAfterReclaim", test: func(t *testing.T, s *suite) {
		f, tl := s.timed(t)
		q := f.queue()
		id := f.create(task(q, "x"))[0]
		stale := f.claimOne(q, shortLease)
		tl.lapse(shortLease)
		live := f.claimOne(q, longLease)
		require.Equal(t, id, live.Task.ID)
		assert.ErrorIs(t, f.ping(stale.Lease, longLease), driver.ErrLeaseLost, "a stale lease cannot ping")
		for _, k := range []driver.OutcomeKind{driver.Complete, driver.Cancel, driver.Fail, driver.Release} {
			assert.ErrorIs(t, f.finish(outcome(stale.Lease, k)), driver.ErrLeaseLost, "a stale lease cannot %v", k)
		}
		r := f.get(id)
		assert.Equal(t, driver.StateRunning, r.State, "the stale calls changed nothing")
		assert.Equal(t, 2, r.Attempt, "the stale calls changed nothing")
		require.NoError(t, f.finish(outcome(live.Lease, driver.Complete)), "the live lease still holds")
	}},
	{name: "StaleLeaseAfterOutsideCancel", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		a := f.admin()
		q := f.queue()
		id := f.create(task(q, "x"))[0]
		c := f.claimOne(q, longLease)
		errs, err := a.Cancel(f.ctx, []int64{id})
		require.NoError(t, err)
		require.NoError(t, errs[0], "Cancel of a running task")
		assert.ErrorIs(t, f.ping(c.Lease, longLease), driver.ErrLeaseLost, "the worker learns of the cancel at its next ping")
		for _, k := range []driver.OutcomeKind{driver.Complete, driver.Cancel, driver.Fail, driver.Release} {
			assert.ErrorIs(t, f.finish(outcome(c.Lease, k)), driver.ErrLeaseLost, "an outside cancel takes the lease: %v", k)
		}
		assert.Equal(t, driver.StateCancelled, f.get(id).State)
	}},
	{name: "StaleLeaseAfterFinalise", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		id := f.create(task(q, "x"))[0]
		c := f.claimOne(q, longLease)
		require.NoError(t, f.finish(outcome(c.Lease, driver.Complete)))
		done := f.get(id)
		for _, k := range []driver.OutcomeKind{driver.Complete, driver.Cancel, driver.Fail, driver.Release} {
			assert.ErrorIs(t, f.finish(outcome(c.Lease, k)), driver.ErrTaskConflict, "finalise is once only: %v after complete", k)
		}
		assert.ErrorIs(t, f.ping(c.Lease, longLease), driver.ErrLeaseLost, "a late ping after finalise")
		f.unchanged(done, f.get(id), "calls on a finalised task change nothing")
	}},
	{name: "StaleLeaseAfterRelease", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		id := f.create(task(q, "x"))[0]
		c := f.claimOne(q, longLease)
		require.NoError(t, f.finish(outcome(c.Lease, driver.Release)))
		released := f.get(id)
		require.Equal(t, driver.StatePending, released.State, "a release makes the task pending")
		for _, k := range []driver.OutcomeKind{driver.Complete, driver.Cancel, driver.Fail, driver.Release} {
			assert.ErrorIs(t, f.finish(outcome(c.Lease, k)), driver.ErrTaskConflict, "rule: an outcome (%v) by the lease that released the task is ErrTaskConflict (this lease already ended its run), not ErrLeaseLost", k)
		}
		assert.ErrorIs(t, f.ping(c.Lease, longLease), driver.ErrLeaseLost, "rule: a ping by the lease that released the task is ErrLeaseLost: the lease no longer holds")
		f.unchanged(released, f.get(id), "rule: calls by a lease that released its task change nothing")
	}},
	{name: "RepeatedOutcomeOfOneLeaseIsConflict", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		delayed := driver.Outcome{Kind: driver.Release, Message: "first", Delay: farDelay}
		for _, tc := range []struct {
			name          string
			first, second driver.Outcome
		}{
			{"a repeated release", delayed, driver.Outcome{Kind: driver.Release, Message: "again"}},
			{"a repeated release that gives the attempt back", driver.Outcome{Kind: driver.Release, KeepAttempt: true, Delay: farDelay}, driver.Outcome{Kind: driver.Release, KeepAttempt: true}},
			{"a repeated complete", driver.Outcome{Kind: driver.Complete, Message: "first"}, driver.Outcome{Kind: driver.Complete, Message: "again"}},
			{"a complete after a release", delayed, driver.Outcome{Kind: driver.Complete, Message: "again"}},
			{"a fail after a release", delayed, driver.Outcome{Kind: driver.Fail, Message: "again"}},
			{"a release after a complete", driver.Outcome{Kind: driver.Complete}, driver.Outcome{Kind: driver.Release, Message: "again"}},
		} {
			id := f.create(task(q, tc.name))[0]
			c := f.claim(q, driver.Fifo, 1, longLease)
			require.Len(t, c, 1, "%s: Claim", tc.name)
			require.Equal(t, id, c[0].Task.ID, "%s: Claim", tc.name)
			tc.first.Lease, tc.second.Lease = c[0].Lease, c[0].Lease
			require.NoError(t, f.finish(tc.first), "%s: the first outcome applies", tc.name)
			stored := f.get(id)
			assert.ErrorIs(t, f.finish(tc.second), driver.ErrTaskConflict,
				"rule: %s by the same lease is ErrTaskConflict (the lease already ended its run; a retry whose first answer was lost learns its outcome was stored), not ErrLeaseLost", tc.name)
			f.unchanged(stored, f.get(id), "rule: %s by the same lease changes nothing", tc.name)
		}
	}},
	{name: "StaleLeaseAfterReleaseAndOutsideCancel", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		a := f.admin()
		q := f.queue()
		id := f.create(task(q, "x"))[0]
		c := f.claimOne(q, longLease)
		require.NoError(t, f.finish(outcome(c.Lease, driver.Release)))
		errs, err := a.Cancel(f.ctx, []int64{id})
		require.NoError(t, err)
		require.NoError(t, errs[0], "Cancel of a pending task")
		for _, k := range []driver.OutcomeKind{driver.Complete, driver.Cancel, driver.Fail, driver.Release} {
			assert.ErrorIs(t, f.finish(outcome(c.Lease, k)), driver.ErrLeaseLost, "rule: an outside cancel of a pending task takes the lease that released it: %v is ErrLeaseLost, not ErrTaskConflict", k)
		}
		assert.ErrorIs(t, f.ping(c.Lease, longLease), driver.ErrLeaseLost, "a ping of a lease taken by an outside cancel")
		assert.Equal(t, driver.StateCancelled, f.get(id).State)
	}},
	{name: "WrongTokenChangesNothing", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		id := f.create(task(q, "x"))[0]
		c := f.claimOne(q, longLease)
		before := f.get(id)
		forged := driver.Lease{TaskID: id, Token: c.Lease.Token + 1}
		assert.ErrorIs(t, f.ping(forged, 2*longLease), driver.ErrLeaseLost, "a token that no claim gave cannot ping")
		assert.ErrorIs(t, f.finish(outcome(forged, driver.Complete)), driver.ErrLeaseLost, "a token that no claim gave cannot complete")
		f.unchanged(before, f.get(id), "a wrong token changes nothing")
	}},
	{name: "LatePingDoesNotReviveFinalTask", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		for _, k := range []driver.OutcomeKind{driver.Complete, driver.Cancel, driver.Fail} {
			id := f.create(task(q, k.String()))[0]
			c := f.claimOne(q, longLease)
			require.NoError(t, f.finish(outcome(c.Lease, k)))
			before := f.get(id)
			assert.ErrorIs(t, f.ping(c.Lease, longLease), driver.ErrLeaseLost, "a late ping after %v", k)
			f.unchanged(before, f.get(id), "a late ping after %v changes nothing", k)
		}
		f.claimNone(q, "final tasks are never handed out again")
	}},
	{name: "FinishRacingReclaimHasOneWinner", serial: true, test: func(t *testing.T, s *suite) {
		raceReclaim(t, s, false)
	}},
	{name: "PingRacingReclaimHasOneWinner", serial: true, test: func(t *testing.T, s *suite) {
		raceReclaim(t, s, true)
	}},
	{name: "OutsideCancelRacingCompleteHasOneWinner", serial: true, test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		a := f.admin()
		q := f.queue()
		const n = 40
		f.createN(q, n)
		held := f.claim(q, driver.Fifo, n, longLease)
		require.Len(t, held, n)
		var (
			wg                  sync.WaitGroup
			start               = make(chan struct{})
			completed, canceled = make([]error, n), make([]error, n)
			callErr             [2]error
		)
		wg.Add(2)
		go func() { // the worker completes its tasks one by one
			defer wg.Done()
			<-start
			for i, c := range held {
				errs, err := f.d.Finish(f.ctx, []driver.Outcome{outcome(c.Lease, driver.Complete)})
				if err != nil {
					callErr[0] = err
					return
				}
				completed[i] = errs[0]
			}
		}()
		go func() { // an operator cancels them, last first
			defer wg.Done()
			<-start
			for i := n - 1; i >= 0; i-- {
				errs, err := a.Cancel(f.ctx, []int64{held[i].Task.ID})
				if err != nil {
					callErr[1] = err
					return
				}
				canceled[i] = errs[0]
			}
		}()
		close(start)
		wg.Wait()
		require.NoError(t, callErr[0], "Finish")
		require.NoError(t, callErr[1], "Admin.Cancel")
		for i, c := range held {
			id, r := c.Task.ID, f.get(c.Task.ID)
			if completed[i] == nil {
				assert.ErrorIs(t, canceled[i], driver.ErrTaskConflict, "task %d: completed, so the cancel must find it final", id)
				assert.Equal(t, driver.StateCompleted, r.State, "task %d", id)
				continue
			}
			assert.ErrorIs(t, completed[i], driver.ErrLeaseLost, "task %d: a complete that lost to an outside cancel", id)
			assert.NoError(t, canceled[i], "task %d: the complete was refused, so the cancel must have won", id)
			assert.Equal(t, driver.StateCancelled, r.State, "task %d", id)
		}
	}},
}

// raceReclaim races, task by task, a slow worker acting on its lapsed
// lease (a ping if ping, a complete otherwise) against a claim that would
// take the task over: each task is alone in its queue and each round
// starts both calls at once, each after a random handful of yields so
// that either may go first, so that every task is contended and a store
// that checks the lease and applies the act in two steps shows it.
func raceReclaim(t *testing.T, s *suite, ping bool) {
	f, tl := s.timed(t)
	const n = 40
	queues := make([]string, n)
	stale := make([]driver.ClaimedTask, n)
	for i := range queues {
		queues[i] = f.queue()
		f.create(task(queues[i], "raced"))
	}
	for i, q := range queues {
		stale[i] = f.claimOne(q, shortLease)
	}
	tl.lapse(shortLease)

	act := "complete"
	if ping {
		act = "ping"
	}
	actErrs := make([]error, n)
	claimed := map[int64]driver.Lease{}
	for i, c := range stale {
		var (
			wg      sync.WaitGroup
			start   = make(chan struct{})
			got     []driver.ClaimedTask
			callErr [2]error
		)
		wg.Add(2)
		go func() { // the slow worker acts on its lapsed lease
			defer wg.Done()
			<-start
			jitter()
			var errs []error
			if ping {
				errs, callErr[0] = f.d.Ping(f.ctx, []driver.Lease{c.Lease}, longLease)
			} else {
				errs, callErr[0] = f.d.Finish(f.ctx, []driver.Outcome{outcome(c.Lease, driver.Complete)})
			}
			if callErr[0] == nil && len(errs) == 1 {
				actErrs[i] = errs[0]
			}
		}()
		go func() { // another worker claims what has lapsed
			defer wg.Done()
			<-start
			jitter()
			got, callErr[1] = f.d.Claim(f.ctx, driver.ClaimParams{Queue: queues[i], Limit: 1, Rule: driver.Fifo, Lease: longLease})
		}()
		close(start)
		wg.Wait()
		require.NoError(t, callErr[0], act)
		require.NoError(t, callErr[1], "Claim")
		for _, g := range got {
			claimed[g.Task.ID] = g.Lease
		}
	}

	for i, c := range stale {
		id := c.Task.ID
		_, reclaimed := claimed[id]
		r := f.get(id)
		switch err := actErrs[i]; {
		case err == nil:
			assert.False(t, reclaimed, "task %d: the lapsed lease could %s it and a claim handed it out too", id, act)
			if ping {
				assert.Equal(t, driver.StateRunning, r.State, "task %d: still held by the pinged lease", id)
				assert.Equal(t, 1, r.Attempt, "task %d: the pinged lease kept it from being claimed again", id)
			} else {
				assert.Equal(t, driver.StateCompleted, r.State, "task %d: completed by its lapsed lease", id)
			}
		case assert.ErrorIs(t, err, driver.ErrLeaseLost, "task %d: a lapsed lease that lost the race", id):
			assert.True(t, reclaimed, "task %d: the lapsed lease was refused but no claim took the task", id)
			assert.Equal(t, driver.StateRunning, r.State, "task %d: held by the new claim", id)
			assert.Equal(t, 2, r.Attempt, "task %d: claimed twice", id)
		}
	}
	for id, l := range claimed {
		require.NoError(t, f.ping(l, longLease), fmt.Sprintf("task %d: the winning claim holds its lease", id))
	}
}

// jitter yields the processor a random number of times (up to 16), so that
// of two goroutines started at once either may reach the store first.
func jitter() {
	for range rand.IntN(17) {
		runtime.Gosched()
	}
}
