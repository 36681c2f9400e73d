package worker_test

// Leases and pings: pings keep leases alive, and a lease lost cancels
// its handler and fences off its outcome.

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/worker"
)

func TestOutsideCancelCancelsTheHandlerAtTheNextPing(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	id := f.create(1, nil)[0]
	started := make(chan struct{})
	cause := make(chan error, 1)
	var ev events
	w, err := worker.New(f.q, func(ctx context.Context, _ *gosk.Task[job]) error {
		close(started)
		<-ctx.Done()
		cause <- context.Cause(ctx)
		return ctx.Err()
	}, &worker.Config{Lease: 5 * time.Second, PingInterval: 10 * time.Millisecond, OnEvent: ev.add})
	require.NoError(t, err)
	stop := start(t, w)
	<-started
	require.NoError(t, f.q.Cancel(context.Background(), id))
	select {
	case err := <-cause:
		require.ErrorIs(t, err, gosk.ErrLeaseLost)
	case <-time.After(wait):
		t.Fatal("the handler's context was not cancelled")
	}
	require.Eventually(t, func() bool { return ev.kinds()[worker.EventLeaseLost] == 1 }, wait, tick)
	require.NoError(t, stop())
	task := f.get(id)
	assert.Equal(t, gosk.StateCancelled, task.State, "the worker did not overwrite the outside cancel")
}

func TestLeaseRunsOutAndAStaleWorkerCannotFinish(t *testing.T) {
	t.Parallel()
	f := newFixture(t, true)
	id := f.create(1, nil)[0]
	started := make(chan struct{})
	proceed := make(chan struct{})
	var ev events
	w, err := worker.New(f.q, func(ctx context.Context, _ *gosk.Task[job]) error {
		close(started)
		<-proceed
		return nil // ignores its context: the stale worker tries to complete
	}, &worker.Config{Lease: time.Minute, PingInterval: 30 * time.Second, OnEvent: ev.add})
	require.NoError(t, err)
	stop := start(t, w)
	<-started

	f.clock.Add(2 * time.Minute) // the lease runs out on the store's clock
	other, err := f.mem.Claim(context.Background(), driver.ClaimParams{Queue: "jobs", Rule: gosk.Fifo, Lease: time.Hour})
	require.NoError(t, err)
	require.Len(t, other, 1, "the task is claimable again")
	assert.Equal(t, 2, other[0].Task.Attempt, "the lapse used up an attempt")

	close(proceed)
	require.Eventually(t, func() bool { return ev.kinds()[worker.EventLeaseLost] == 1 }, wait, tick)
	require.NoError(t, stop())
	task := f.get(id)
	assert.Equal(t, gosk.StateRunning, task.State, "the stale worker's complete was fenced off")
	_, err = f.mem.Finish(context.Background(), []driver.Outcome{{Lease: other[0].Lease, Kind: driver.Complete}})
	require.NoError(t, err)
}

func TestPingsAreBatchedAndKeepLeasesAlive(t *testing.T) {
	t.Parallel()
	f := newFixture(t, true)
	f.create(3, nil)
	var active atomic.Int64
	release := make(chan struct{})
	w, err := worker.New(f.q, func(context.Context, *gosk.Task[job]) error {
		active.Add(1)
		<-release
		return nil
	}, &worker.Config{Concurrency: 3, Lease: time.Minute, PingInterval: 5 * time.Millisecond})
	require.NoError(t, err)
	stop := start(t, w)
	require.Eventually(t, func() bool { return active.Load() == 3 }, wait, tick)
	// Three times 50s on the store's clock, waiting for a ping after each:
	// 150s in all, far past the one-minute lease.
	for range 3 {
		f.clock.Add(50 * time.Second)
		n := len(f.spy.pings())
		require.Eventually(t, func() bool { return len(f.spy.pings()) > n+1 }, wait, tick)
	}
	stolen, err := f.mem.Claim(context.Background(), driver.ClaimParams{Queue: "jobs", Rule: gosk.Fifo, Lease: time.Minute, Limit: 3})
	require.NoError(t, err)
	assert.Empty(t, stolen, "pings kept every lease")
	assert.Contains(t, f.spy.pings(), 3, "one ping call carries all three leases")
	close(release)
	require.Eventually(t, func() bool { return f.count(gosk.StateCompleted) == 3 }, wait, tick)
	require.NoError(t, stop())
}

func TestOwnReclaimAfterALapseCancelsTheOldRun(t *testing.T) {
	t.Parallel()
	f := newFixture(t, true)
	id := f.create(1, nil)[0]
	var calls atomic.Int64
	started := make(chan struct{})
	cause := make(chan error, 1)
	abort := make(chan struct{})
	var ev events
	w, err := worker.New(f.q, func(ctx context.Context, _ *gosk.Task[job]) error {
		if calls.Add(1) == 1 {
			close(started)
			select {
			case <-ctx.Done():
				cause <- context.Cause(ctx)
			case <-abort: // the test failed: let Run return
			}
			return errors.New("stopped")
		}
		return nil
	}, &worker.Config{Concurrency: 2, Lease: time.Minute, PingInterval: 5 * time.Millisecond, PollInterval: 5 * time.Millisecond, OnEvent: ev.add})
	require.NoError(t, err)
	stop := start(t, w)
	t.Cleanup(func() { close(abort) }) // runs before start's cleanup
	<-started
	f.spy.mu.Lock()
	f.spy.failPing = 1 << 30 // the store drops every ping from now on
	f.spy.mu.Unlock()
	f.clock.Add(2 * time.Minute)
	select {
	case err := <-cause:
		require.ErrorIs(t, err, gosk.ErrLeaseLost)
	case <-time.After(wait):
		t.Fatal("the old run was not cancelled when this worker claimed its task again")
	}
	require.Eventually(t, func() bool { return f.get(id).State == gosk.StateCompleted }, wait, tick)
	require.Eventually(t, func() bool { return len(ev.list()) == 2 }, wait, tick)
	require.NoError(t, stop())
	assert.Equal(t, map[worker.EventKind]int{worker.EventLeaseLost: 1, worker.EventCompleted: 1}, ev.kinds())
	assert.Equal(t, 2, f.get(id).Attempt)
}
