package drivertest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
)

var notifyRules = []rule{
	{name: "WakesOnCreate", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		n := f.notifier()
		q := f.queue()
		sub := f.subscribe(n, q)
		f.create(task(q, "x"))
		f.awaitWake(sub, "creating a task wakes the queue's subscribers")
	}},
	{name: "WakesOnRelease", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		n := f.notifier()
		q := f.queue()
		f.create(task(q, "x"))
		c := f.claimOne(q, longLease)
		sub := f.subscribe(n, q) // after the create, so its wake-up cannot count
		require.NoError(t, f.finish(outcome(c.Lease, driver.Release)))
		f.awaitWake(sub, "releasing a task with no delay wakes the queue's subscribers")
	}},
	{name: "WakesOnRetry", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		n := f.notifier()
		a := f.admin()
		q := f.queue()
		id := f.inState(q, driver.StateFailed)
		sub := f.subscribe(n, q)
		errs, err := a.Retry(f.ctx, []int64{id})
		require.NoError(t, err)
		require.NoError(t, errs[0])
		f.awaitWake(sub, "retrying a task wakes the queue's subscribers")
	}},
	{name: "WakesOnTxCommit", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		n := f.notifier()
		q := f.queue()
		sub := f.subscribe(n, q)
		c, commit, _ := f.tx()
		res, err := c.Create(f.ctx, []driver.NewTask{task(q, "in a transaction")})
		require.NoError(t, err, "Create in the transaction")
		require.Len(t, res, 1)
		require.NoError(t, res[0].Err)
		// A wake-up before the commit finds nothing to claim; it must not
		// stand in for the one the commit owes.
		for drained := false; !drained; {
			select {
			case <-sub.Wake:
			default:
				drained = true
			}
		}
		require.NoError(t, commit(), "commit")
		f.awaitWake(sub, "a transaction's commit that makes a task available wakes the queue's subscribers")
	}},
	{name: "WakesOnCreateSlot", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		n := f.notifier()
		sc := f.scheduler()
		q := f.queue()
		sub := f.subscribe(n, q)
		r := f.createSlot(sc, slot(q, "every minute", slotAt()))
		require.True(t, r.Created, "the schedule's first slot creates its task")
		f.awaitWake(sub, "a schedule's slot that creates a task with no delay wakes the queue's subscribers")
	}},
	{name: "StopIsSafeTwiceAndEndsWithContext", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		n := f.notifier()
		q := f.queue()
		sub := f.subscribe(n, q)
		require.NotPanics(t, sub.Stop)
		require.NotPanics(t, sub.Stop, "Stop is safe to call twice")
		ctx, cancel := context.WithCancel(f.ctx)
		other, err := n.Subscribe(ctx, q)
		require.NoError(t, err)
		cancel()
		require.NotPanics(t, other.Stop, "Stop after the context ended")
		live := f.subscribe(n, q)
		f.create(task(q, "x"))
		f.awaitWake(live, "a live subscription still wakes after others stopped")
	}},
	{name: "SubscribeRefusesBadQueue", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		n := f.notifier()
		sub, err := n.Subscribe(f.ctx, "")
		assert.ErrorIs(t, err, driver.ErrInvalid, "Subscribe with an empty queue name")
		if sub != nil {
			sub.Stop()
		}
	}},
}
