package drivertest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
)

// lapsed claims one task of a side queue with the same lease length after
// the caller's claim, then waits until that task can be claimed again.
// When it returns, every lease of that length taken before the call has run
// out on the store's clock, and nothing else was claimed to find out.
func (f *fixture) lapsed(lease time.Duration) {
	f.t.Helper()
	side := f.queue()
	f.create(task(side, "lease probe"))
	f.claimOne(side, lease)
	f.awaitClaim(side, longLease, "a lease that is not pinged runs out")
}

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

// raceReclaim lets the leases of many tasks run out, then races a slow
// worker that completes (or pings) them one by one against another worker
// that claims them. For each task exactly one side must win: the slow
// worker's call succeeds and no claim returned the task, or a claim
// returned it and the slow worker's call got ErrLeaseLost.
func raceReclaim(t *testing.T, s *suite, ping bool) {
	f, tl := s.timed(t)
	q := f.queue()
	const n = 40
	f.createN(q, n)
	stale := f.claim(q, driver.Fifo, n, shortLease)
	require.Len(t, stale, n)
	tl.lapse(shortLease)

	act := "complete"
	if ping {
		act = "ping"
	}
	var (
		wg      sync.WaitGroup
		start   = make(chan struct{})
		actErrs = make([]error, n)
		claimed = map[int64]driver.Lease{}
		callErr [2]error
	)
	wg.Add(2)
	go func() { // the slow worker acts on its lapsed leases one by one
		defer wg.Done()
		<-start
		for i, c := range stale {
			var errs []error
			var err error
			if ping {
				errs, err = f.d.Ping(f.ctx, []driver.Lease{c.Lease}, longLease)
			} else {
				errs, err = f.d.Finish(f.ctx, []driver.Outcome{outcome(c.Lease, driver.Complete)})
			}
			if err != nil {
				callErr[0] = err
				return
			}
			actErrs[i] = errs[0]
		}
	}()
	go func() { // another worker claims what has lapsed
		defer wg.Done()
		<-start
		for range n { // claims of two are done in n/2 rounds
			got, err := f.d.Claim(f.ctx, driver.ClaimParams{Queue: q, Limit: 2, Rule: driver.Fifo, Lease: longLease})
			if err != nil {
				callErr[1] = err
				return
			}
			if len(got) == 0 {
				return
			}
			for _, c := range got {
				claimed[c.Task.ID] = c.Lease
			}
		}
	}()
	close(start)
	wg.Wait()
	require.NoError(t, callErr[0], act)
	require.NoError(t, callErr[1], "Claim")

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

var finishRules = []rule{
	{name: "OutcomesReachTheirStates", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		want := map[driver.OutcomeKind]driver.State{
			driver.Complete: driver.StateCompleted,
			driver.Cancel:   driver.StateCancelled,
			driver.Fail:     driver.StateFailed,
		}
		for _, k := range []driver.OutcomeKind{driver.Complete, driver.Cancel, driver.Fail} {
			id := f.create(task(q, k.String()))[0]
			c := f.claimOne(q, longLease)
			o := outcome(c.Lease, k)
			o.Message = "because " + k.String()
			require.NoError(t, f.finish(o), "Finish (%v) of a running task under its lease", k)
			r := f.get(id)
			assert.Equal(t, want[k], r.State, "%v moves the task to %v", k, want[k])
			assert.Equal(t, o.Message, r.LastError, "the outcome's message is stored as the last error")
			assert.False(t, r.FinalizedAt.IsZero(), "a final task has a finalisation time")
			assert.True(t, r.LeaseExpiresAt.IsZero(), "a final task has no lease")
			assert.Equal(t, 1, r.Attempt, "finishing does not change the attempt count")
		}
	}},
	{name: "EmptyMessageKeepsLastError", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		for _, k := range []driver.OutcomeKind{driver.Complete, driver.Cancel, driver.Fail, driver.Release} {
			q := f.queue()
			id := f.create(task(q, k.String()))[0]
			c := f.claimOne(q, longLease)
			require.NoError(t, f.finish(driver.Outcome{Lease: c.Lease, Kind: driver.Release, Message: "earlier"}))
			c = f.claimOne(q, longLease)
			require.NoError(t, f.finish(outcome(c.Lease, k)))
			assert.Equal(t, "earlier", f.get(id).LastError, "rule: an outcome (%v) with an empty message keeps the last error", k)
		}
	}},
	{name: "FinaliseOnceOnly", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		kinds := []driver.OutcomeKind{driver.Complete, driver.Cancel, driver.Fail}
		for _, first := range kinds {
			id := f.create(task(q, first.String()))[0]
			c := f.claimOne(q, longLease)
			require.NoError(t, f.finish(outcome(c.Lease, first)))
			before := f.get(id)
			for _, second := range append(kinds, driver.Release) {
				assert.ErrorIs(t, f.finish(outcome(c.Lease, second)), driver.ErrTaskConflict, "%v after %v", second, first)
			}
			f.unchanged(before, f.get(id), "a second finalise changes nothing")
		}
	}},
	{name: "BatchResultsLineUpWithInput", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		f.createN(q, 3)
		c := f.claim(q, driver.Fifo, 3, longLease)
		require.Len(t, c, 3)
		require.NoError(t, f.finish(outcome(c[1].Lease, driver.Complete)))
		errs, err := f.d.Finish(f.ctx, []driver.Outcome{
			outcome(c[0].Lease, driver.Complete),
			outcome(c[1].Lease, driver.Complete),
			{Lease: c[2].Lease, Kind: driver.Release, Message: "later"},
		})
		require.NoError(t, err)
		require.Len(t, errs, 3)
		assert.NoError(t, errs[0], "item 0 applies")
		assert.ErrorIs(t, errs[1], driver.ErrTaskConflict, "item 1 was already final")
		assert.NoError(t, errs[2], "item 2 applies")
		assert.Equal(t, driver.StateCompleted, f.get(c[0].Task.ID).State)
		assert.Equal(t, driver.StatePending, f.get(c[2].Task.ID).State)
	}},
	{name: "PingBatchResultsLineUpWithInput", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		f.createN(q, 3)
		c := f.claim(q, driver.Fifo, 3, longLease)
		require.Len(t, c, 3)
		require.NoError(t, f.finish(outcome(c[1].Lease, driver.Complete)))
		errs, err := f.d.Ping(f.ctx, []driver.Lease{c[0].Lease, c[1].Lease, c[2].Lease, {TaskID: unknownID, Token: 1}}, longLease)
		require.NoError(t, err)
		require.Len(t, errs, 4)
		assert.NoError(t, errs[0])
		assert.ErrorIs(t, errs[1], driver.ErrLeaseLost, "a ping of a completed task")
		assert.NoError(t, errs[2])
		assert.ErrorIs(t, errs[3], driver.ErrTaskNotFound)
	}},
}

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
