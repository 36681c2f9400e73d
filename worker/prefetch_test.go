package worker_test

// Prefetch: tasks claimed ahead of the handlers, waiting for one.

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/worker"
)

func TestPrefetchSettings(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	_, err := worker.New(f.q, ok, &worker.Config{Prefetch: -1})
	require.ErrorIs(t, err, gosk.ErrInvalid)
	assert.ErrorContains(t, err, "Config.Prefetch -1 is negative")
	w, err := worker.New(f.q, ok, nil)
	require.NoError(t, err)
	assert.Zero(t, w.Config().Prefetch, "no claims ahead unless asked")
}

func TestPrefetchClaimsAheadButRunsConcurrencyHandlers(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	f.create(20, nil)
	var active, most, ran atomic.Int64
	release := make(chan struct{})
	w, err := worker.New(f.q, func(ctx context.Context, _ *gosk.Task[job]) error {
		n := active.Add(1)
		defer active.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		ran.Add(1)
		<-release
		return nil
	}, &worker.Config{Concurrency: 2, Prefetch: 3, PollInterval: 5 * time.Millisecond})
	require.NoError(t, err)
	stop := start(t, w)
	require.Eventually(t, func() bool { return active.Load() == 2 }, wait, tick)
	require.Eventually(t, func() bool { return f.count(gosk.StateRunning) == 5 }, wait, tick,
		"two tasks run and three wait, all leased")
	assert.EqualValues(t, 15, f.count(gosk.StatePending), "a full worker and queue claim no more")
	f.spy.mu.Lock()
	assert.Equal(t, 5, f.spy.claimLimits[0], "one claim for the handlers and the queue")
	f.spy.mu.Unlock()
	close(release)
	require.Eventually(t, func() bool { return f.count(gosk.StateCompleted) == 20 }, wait, tick)
	require.NoError(t, stop())
	assert.EqualValues(t, 2, most.Load(), "never more handlers than Concurrency")
	assert.EqualValues(t, 20, ran.Load(), "each task ran once")
	f.spy.mu.Lock()
	defer f.spy.mu.Unlock()
	for i, l := range f.spy.claimLimits {
		assert.LessOrEqual(t, l, 5, "claim %d", i)
	}
}

func TestShutdownReleasesPrefetchedTasksUnrun(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	ids := f.create(3, nil)
	started := make(chan struct{})
	proceed := make(chan struct{})
	var calls atomic.Int64
	var ev events
	w, err := worker.New(f.q, func(context.Context, *gosk.Task[job]) error {
		if calls.Add(1) == 1 {
			close(started)
		}
		<-proceed
		return nil
	}, &worker.Config{Concurrency: 1, Prefetch: 2, ShutdownTimeout: time.Hour, OnEvent: ev.add})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- w.Run(ctx) }()
	<-started
	require.Eventually(t, func() bool { return f.count(gosk.StateRunning) == 3 }, wait, tick, "one runs, two wait")
	cancel()
	require.Eventually(t, func() bool { return ev.kinds()[worker.EventReleased] == 2 }, wait, tick,
		"the shutdown releases the waiting tasks while the running one goes on")
	close(proceed)
	require.NoError(t, <-errc)
	assert.EqualValues(t, 1, calls.Load(), "the waiting tasks did not run")
	assert.Equal(t, map[worker.EventKind]int{worker.EventCompleted: 1, worker.EventReleased: 2}, ev.kinds())
	var pending int
	for _, id := range ids {
		task := f.get(id)
		if task.State == gosk.StatePending {
			pending++
			assert.Equal(t, 0, task.Attempt, "task %d: its attempt was given back", id)
		}
	}
	assert.Equal(t, 2, pending, "released for another worker")
}

func TestAWaitingTaskRunsAfterAHandlerCallsGoexit(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	ids := f.create(2, nil)
	var calls atomic.Int64
	w, err := worker.New(f.q, func(context.Context, *gosk.Task[job]) error {
		if calls.Add(1) == 1 {
			runtime.Goexit()
		}
		return nil
	}, &worker.Config{Concurrency: 1, Prefetch: 1})
	require.NoError(t, err)
	stop := start(t, w)
	require.Eventually(t, func() bool { return calls.Load() == 2 }, wait, tick, "the waiting task ran on a handler of its own")
	require.Eventually(t, func() bool { return f.count(gosk.StateCompleted) == 1 }, wait, tick)
	require.NoError(t, stop())
	states := []gosk.State{f.get(ids[0]).State, f.get(ids[1]).State}
	assert.ElementsMatch(t, []gosk.State{gosk.StateCompleted, gosk.StatePending}, states, "the Goexit run is retried later")
}

// With Prefetch, from a store that answers claims fast (the memory
// driver, within an eighth of the long window), the claim window ends
// once Concurrency slots are free: the tasks held ahead keep the handlers
// busy while that claim goes out.
func TestPrefetchClaimsOnceConcurrencySlotsAreFree(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	f.create(20, nil)
	release := make(chan struct{})
	w, err := worker.New(f.q, func(ctx context.Context, _ *gosk.Task[job]) error {
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil
	}, &worker.Config{Concurrency: 2, Prefetch: 3, Lease: time.Hour, ClaimWindow: 10 * time.Minute})
	require.NoError(t, err)
	stop := start(t, w)
	require.Eventually(t, func() bool { return f.spy.claims() == 1 }, wait, tick)
	// One handler returns and takes a waiting task: one slot is free,
	// and a window far longer than the test begins.
	release <- struct{}{}
	require.Eventually(t, func() bool { return f.count(gosk.StateCompleted) == 1 }, wait, tick)
	assert.Equal(t, 1, f.spy.claims(), "one free slot waits for the window")
	// A second one: two slots, Concurrency, are free.
	release <- struct{}{}
	require.Eventually(t, func() bool { return f.spy.claims() == 2 }, wait, tick, "claimed before the window ended")
	f.spy.mu.Lock()
	limits := append([]int(nil), f.spy.claimLimits...)
	f.spy.mu.Unlock()
	assert.Equal(t, []int{5, 2}, limits[:2])
	close(release)
	require.Eventually(t, func() bool { return f.count(gosk.StateCompleted) == 20 }, wait, tick)
	require.NoError(t, stop())
}

// slowClaims is the fixture's store with claims that take delay; it
// counts the claims begun.
type slowClaims struct {
	*spy
	delay time.Duration
	begun atomic.Int64
}

func (s *slowClaims) Claim(ctx context.Context, p driver.ClaimParams) ([]driver.ClaimedTask, error) {
	s.begun.Add(1)
	time.Sleep(s.delay)
	return s.spy.Claim(ctx, p)
}

// From a store that answers claims slowly (in more than an eighth of the
// claim window), a worker with Prefetch waits for the window as one
// without does: claims as large as they can be cost fewer round trips,
// and on a SQL store commits, than the handlers' wait.
func TestPrefetchFromASlowStoreWaitsForTheWindow(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	f.create(7, nil)
	slow := &slowClaims{spy: f.spy, delay: 300 * time.Millisecond}
	q, err := gosk.NewQueue[job](slow, "jobs", nil)
	require.NoError(t, err)
	release := make(chan struct{})
	w, err := worker.New(q, func(ctx context.Context, _ *gosk.Task[job]) error {
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil
	}, &worker.Config{Concurrency: 2, Prefetch: 3, Lease: time.Hour, ClaimWindow: 2 * time.Second})
	require.NoError(t, err)
	stop := start(t, w)
	require.Eventually(t, func() bool { return f.spy.claims() == 1 }, wait, tick)
	for k := 1; k <= 2; k++ {
		release <- struct{}{}
		require.Eventually(t, func() bool { return f.count(gosk.StateCompleted) == int64(k) }, wait, tick)
	}
	assert.Never(t, func() bool { return slow.begun.Load() > 1 }, 200*time.Millisecond, tick,
		"two free slots of five wait for the window, the store being slow")
	close(release)
	require.Eventually(t, func() bool { return f.count(gosk.StateCompleted) == 7 }, wait, tick)
	require.NoError(t, stop())
}
