package drivertest

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
)

var contextRules = []rule{
	{name: "CancelledCreateStoresNothing", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		_, err := f.d.Create(cancelled(f.ctx), []driver.NewTask{task(q, "x")})
		require.ErrorIs(t, err, context.Canceled, "Create with a cancelled context returns the context's error")
		f.claimNone(q, "a Create whose context was cancelled stores nothing")
	}},
	{name: "CancelledClaimTakesNothing", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		id := f.create(task(q, "x"))[0]
		_, err := f.d.Claim(cancelled(f.ctx), driver.ClaimParams{Queue: q, Rule: driver.Fifo, Lease: longLease})
		require.ErrorIs(t, err, context.Canceled, "Claim with a cancelled context returns the context's error")
		r := f.get(id)
		assert.Equal(t, driver.StatePending, r.State, "a Claim whose context was cancelled leases nothing")
		assert.Zero(t, r.Attempt, "a Claim whose context was cancelled counts no attempt")
	}},
	{name: "CancelledPingAndFinishChangeNothing", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		id := f.create(task(q, "x"))[0]
		c := f.claimOne(q, longLease)
		before := f.get(id)
		_, err := f.d.Ping(cancelled(f.ctx), []driver.Lease{c.Lease}, 2*longLease)
		require.ErrorIs(t, err, context.Canceled, "Ping with a cancelled context returns the context's error")
		_, err = f.d.Finish(cancelled(f.ctx), []driver.Outcome{outcome(c.Lease, driver.Complete)})
		require.ErrorIs(t, err, context.Canceled, "Finish with a cancelled context returns the context's error")
		f.unchanged(before, f.get(id), "Ping and Finish with a cancelled context change nothing")
		require.NoError(t, f.finish(outcome(c.Lease, driver.Complete)), "the lease still holds")
	}},
	{name: "CancelledGetReturnsContextError", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		id := f.create(task(f.queue(), "x"))[0]
		_, err := f.d.Get(cancelled(f.ctx), id)
		require.ErrorIs(t, err, context.Canceled, "Get with a cancelled context returns the context's error")
	}},
}

// cancelled returns a context that is already cancelled.
func cancelled(parent context.Context) context.Context {
	ctx, cancel := context.WithCancel(parent)
	cancel()
	return ctx
}

var closedRules = []rule{
	{name: "EveryCallReturnsErrClosed", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		id := f.create(task(q, "x"))[0]
		c := f.claimOne(q, longLease)
		require.NoError(t, f.d.Close(), "Close")
		require.NotPanics(t, func() { _ = f.d.Close() }, "Close is safe to call twice")
		_, err := f.d.Create(f.ctx, []driver.NewTask{task(q, "y")})
		assert.ErrorIs(t, err, driver.ErrClosed, "Create after Close")
		_, err = f.d.Claim(f.ctx, driver.ClaimParams{Queue: q, Rule: driver.Fifo, Lease: longLease})
		assert.ErrorIs(t, err, driver.ErrClosed, "Claim after Close")
		_, err = f.d.Ping(f.ctx, []driver.Lease{c.Lease}, longLease)
		assert.ErrorIs(t, err, driver.ErrClosed, "Ping after Close")
		_, err = f.d.Finish(f.ctx, []driver.Outcome{outcome(c.Lease, driver.Complete)})
		assert.ErrorIs(t, err, driver.ErrClosed, "Finish after Close")
		_, err = f.d.Get(f.ctx, id)
		assert.ErrorIs(t, err, driver.ErrClosed, "Get after Close")
		if a, ok := f.d.(driver.Admin); ok {
			_, err = a.List(f.ctx, driver.ListParams{Queue: q})
			assert.ErrorIs(t, err, driver.ErrClosed, "Admin.List after Close")
			_, err = a.Count(f.ctx, q)
			assert.ErrorIs(t, err, driver.ErrClosed, "Admin.Count after Close")
			_, err = a.Retry(f.ctx, []int64{id})
			assert.ErrorIs(t, err, driver.ErrClosed, "Admin.Retry after Close")
			_, err = a.Cancel(f.ctx, []int64{id})
			assert.ErrorIs(t, err, driver.ErrClosed, "Admin.Cancel after Close")
			_, err = a.Purge(f.ctx, driver.PurgeParams{Queue: q})
			assert.ErrorIs(t, err, driver.ErrClosed, "Admin.Purge after Close")
		}
		if n, ok := f.d.(driver.Notifier); ok {
			sub, err := n.Subscribe(f.ctx, q)
			assert.ErrorIs(t, err, driver.ErrClosed, "Notifier.Subscribe after Close")
			if sub != nil {
				sub.Stop()
			}
		}
	}},
}

var inputRules = []rule{
	{name: "EmptyQueueName", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		_, err := f.d.Create(f.ctx, []driver.NewTask{{Queue: "", MaxAttempts: 1}})
		assert.ErrorIs(t, err, driver.ErrInvalid, "Create with an empty queue name")
		_, err = f.d.Claim(f.ctx, driver.ClaimParams{Queue: "", Rule: driver.Fifo, Lease: longLease})
		assert.ErrorIs(t, err, driver.ErrInvalid, "Claim with an empty queue name")
		_, err = f.d.Create(f.ctx, []driver.NewTask{{Queue: "bad queue name", MaxAttempts: 1}})
		assert.ErrorIs(t, err, driver.ErrInvalid, "Create with a space in the queue name")
		_, err = f.d.Create(f.ctx, []driver.NewTask{{Queue: strings.Repeat("q", driver.MaxQueueNameLen+1), MaxAttempts: 1}})
		assert.ErrorIs(t, err, driver.ErrInvalid, "Create with a queue name that is too long")
	}},
	{name: "NegativeLimitsAndDurations", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		_, err := f.d.Claim(f.ctx, driver.ClaimParams{Queue: q, Limit: -1, Rule: driver.Fifo, Lease: longLease})
		assert.ErrorIs(t, err, driver.ErrInvalid, "Claim with a negative limit")
		_, err = f.d.Claim(f.ctx, driver.ClaimParams{Queue: q, Rule: driver.Fifo, Lease: 0})
		assert.ErrorIs(t, err, driver.ErrInvalid, "Claim with no lease")
		_, err = f.d.Claim(f.ctx, driver.ClaimParams{Queue: q, Rule: driver.Fifo, Lease: -time.Second})
		assert.ErrorIs(t, err, driver.ErrInvalid, "Claim with a negative lease")
		bad := task(q, "x")
		bad.Delay = -time.Second
		_, err = f.d.Create(f.ctx, []driver.NewTask{bad})
		assert.ErrorIs(t, err, driver.ErrInvalid, "Create with a negative delay")
		bad = task(q, "x")
		bad.MaxAttempts = 0
		_, err = f.d.Create(f.ctx, []driver.NewTask{bad})
		assert.ErrorIs(t, err, driver.ErrInvalid, "Create with max attempts 0")
		bad = task(q, "x")
		bad.Priority = driver.MaxPriority + 1
		_, err = f.d.Create(f.ctx, []driver.NewTask{bad})
		assert.ErrorIs(t, err, driver.ErrInvalid, "Create with a priority out of range")
		f.create(task(q, "x"))
		c := f.claimOne(q, longLease)
		_, err = f.d.Ping(f.ctx, []driver.Lease{c.Lease}, 0)
		assert.ErrorIs(t, err, driver.ErrInvalid, "Ping with no extension")
		_, err = f.d.Finish(f.ctx, []driver.Outcome{{Lease: c.Lease, Kind: driver.Release, Delay: -time.Second}})
		assert.ErrorIs(t, err, driver.ErrInvalid, "Release with a negative delay")
		require.NoError(t, f.ping(c.Lease, longLease), "the refused calls left the lease alone")
	}},
	{name: "UnknownPriorityRule", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		f.create(task(q, "x"))
		for _, r := range []driver.PriorityRule{0, 99, -1} {
			_, err := f.d.Claim(f.ctx, driver.ClaimParams{Queue: q, Rule: r, Lease: longLease})
			assert.ErrorIs(t, err, driver.ErrUnsupportedPriorityRule, "Claim with rule %d", int(r))
		}
		f.claimOne(q, longLease)
	}},
	{name: "BadOutcomesAndIDs", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		id := f.create(task(q, "x"))[0]
		c := f.claimOne(q, longLease)
		cases := []struct {
			what string
			o    []driver.Outcome
		}{
			{"an outcome with no kind", []driver.Outcome{{Lease: c.Lease}}},
			{"an unknown outcome kind", []driver.Outcome{{Lease: c.Lease, Kind: 99}}},
			{"a complete with a delay", []driver.Outcome{{Lease: c.Lease, Kind: driver.Complete, Delay: time.Second}}},
			{"a fail with keep-attempt", []driver.Outcome{{Lease: c.Lease, Kind: driver.Fail, KeepAttempt: true}}},
			{"one task named twice", []driver.Outcome{outcome(c.Lease, driver.Complete), outcome(c.Lease, driver.Release)}},
			{"task ID 0", []driver.Outcome{outcome(driver.Lease{TaskID: 0, Token: c.Lease.Token}, driver.Complete)}},
		}
		for _, tc := range cases {
			_, err := f.d.Finish(f.ctx, tc.o)
			assert.ErrorIs(t, err, driver.ErrInvalid, "Finish with %s", tc.what)
		}
		_, err := f.d.Ping(f.ctx, []driver.Lease{c.Lease, c.Lease}, longLease)
		assert.ErrorIs(t, err, driver.ErrInvalid, "Ping naming one task twice")
		for _, bad := range []int64{0, -1} {
			_, err = f.d.Get(f.ctx, bad)
			assert.ErrorIs(t, err, driver.ErrInvalid, "Get of ID %d: IDs are positive", bad)
		}
		assert.Equal(t, driver.StateRunning, f.get(id).State, "refused calls change nothing")
	}},
	{name: "BadUniqueKey", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		for what, key := range map[string]string{
			"longer than driver.MaxUniqueKeyLen": strings.Repeat("k", driver.MaxUniqueKeyLen+1),
			"not valid UTF-8":                    "\xff\xfe",
		} {
			_, err := f.d.Create(f.ctx, []driver.NewTask{{Queue: q, MaxAttempts: 1, UniqueKey: key}})
			assert.ErrorIs(t, err, driver.ErrInvalid, "Create with a unique key %s", what)
		}
		f.claimNone(q, "refused creates store nothing")
	}},
	{name: "HugeLimitsMeanEverything", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		created := f.createN(q, 3)
		// math.MaxInt is "all there is": no store holds that many tasks,
		// but a limit that large must not reach the store as a number it
		// cannot read (a float in a script, an int32 column).
		got := f.claim(q, driver.Fifo, math.MaxInt, longLease)
		require.Equal(t, created, ids(got), "rule: a claim whose limit is math.MaxInt claims every available task")
		for _, c := range got {
			require.NoError(t, f.finish(outcome(c.Lease, driver.Complete)))
		}
		assert.Empty(t, f.claim(q, driver.Priority, math.MaxInt, longLease), "a claim with a huge limit of a queue with nothing available claims nothing")
		a, ok := f.d.(driver.Admin)
		if !ok {
			return
		}
		recs, err := a.List(f.ctx, driver.ListParams{Queue: q, Limit: math.MaxInt})
		require.NoError(t, err, "rule: List with limit math.MaxInt lists every task")
		assert.Len(t, recs, len(created), "rule: List with limit math.MaxInt lists every task")
		recs, err = a.List(f.ctx, driver.ListParams{Queue: q, AfterID: math.MaxInt64})
		require.NoError(t, err, "rule: List after ID math.MaxInt64 is an empty page")
		assert.Empty(t, recs, "rule: List after ID math.MaxInt64 is an empty page")
		n, err := a.Purge(f.ctx, driver.PurgeParams{Queue: q, Limit: math.MaxInt})
		require.NoError(t, err, "rule: Purge with limit math.MaxInt purges every final task")
		assert.Equal(t, len(created), n, "rule: Purge with limit math.MaxInt purges every final task")
	}},
	{name: "InvalidBatchStoresNothing", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		bad := task(q, "bad")
		bad.MaxAttempts = 0
		_, err := f.d.Create(f.ctx, []driver.NewTask{task(q, "good"), bad})
		require.ErrorIs(t, err, driver.ErrInvalid, "a batch with one invalid task is invalid")
		f.claimNone(q, "an invalid batch stores none of its tasks")
	}},
	{name: "InvalidBatchOfEveryCallChangesNothing", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		failed := f.inState(q, driver.StateFailed)
		f.createN(q, 2)
		got := f.claim(q, driver.Fifo, 2, longLease)
		require.Len(t, got, 2, "Claim hands out the pending tasks")
		before := map[int64]driver.TaskRecord{}
		for _, id := range []int64{failed, got[0].Task.ID, got[1].Task.ID} {
			before[id] = f.get(id)
		}
		_, err := f.d.Ping(f.ctx, []driver.Lease{got[0].Lease, got[1].Lease, got[0].Lease}, 2*longLease)
		assert.ErrorIs(t, err, driver.ErrInvalid, "Ping naming a task twice, next to a lease that would extend")
		_, err = f.d.Finish(f.ctx, []driver.Outcome{outcome(got[1].Lease, driver.Complete), {Lease: got[0].Lease, Kind: 99}})
		assert.ErrorIs(t, err, driver.ErrInvalid, "Finish with an unknown outcome kind, next to one that would apply")
		if a, ok := f.d.(driver.Admin); ok {
			_, err = a.Cancel(f.ctx, []int64{got[0].Task.ID, 0})
			assert.ErrorIs(t, err, driver.ErrInvalid, "Admin.Cancel of ID 0, next to an ID that would be cancelled")
			_, err = a.Retry(f.ctx, []int64{failed, failed})
			assert.ErrorIs(t, err, driver.ErrInvalid, "Admin.Retry naming a task twice, which would be retried")
		}
		for id, was := range before {
			f.unchanged(was, f.get(id), "rule: a batch refused as invalid applies none of its items (task %d)", id)
		}
	}},
}
