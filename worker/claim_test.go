package worker_test

// Claiming: how Run fills its slots, in which order, and how it finds
// new tasks.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/drivers/memory"
	"github.com/gosk/gosk/worker"
)

// ok is a handler that completes every task.
func ok(context.Context, *gosk.Task[job]) error { return nil }

func TestRunCompletesEveryTaskAndLeavesNothingLeased(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	ids := f.create(50, nil)
	var seen sync.Map
	w, err := worker.New(f.q, func(_ context.Context, task *gosk.Task[job]) error {
		if _, dup := seen.LoadOrStore(task.ID, task.Payload.N); dup {
			return fmt.Errorf("task %d handled twice", task.ID)
		}
		return nil
	}, &worker.Config{Concurrency: 4, PollInterval: 10 * time.Millisecond})
	require.NoError(t, err)
	stop := start(t, w)
	require.Eventually(t, func() bool { return f.count(gosk.StateCompleted) == 50 }, wait, tick)
	require.NoError(t, stop())
	assert.Zero(t, f.count(gosk.StateRunning))
	for i, id := range ids {
		task := f.get(id)
		assert.Equal(t, 1, task.Attempt)
		n, _ := seen.Load(id)
		assert.Equal(t, i, n, "payload decoded")
	}
}

func TestConcurrencyIsFilledButNeverExceeded(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	f.create(10, nil)
	var active, most atomic.Int64
	release := make(chan struct{})
	w, err := worker.New(f.q, func(ctx context.Context, _ *gosk.Task[job]) error {
		n := active.Add(1)
		defer active.Add(-1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		<-release
		return nil
	}, &worker.Config{Concurrency: 3, PollInterval: 5 * time.Millisecond})
	require.NoError(t, err)
	stop := start(t, w)
	require.Eventually(t, func() bool { return active.Load() == 3 }, wait, tick)
	assert.EqualValues(t, 7, f.count(gosk.StatePending), "a full worker claims no more")
	close(release)
	require.Eventually(t, func() bool { return f.count(gosk.StateCompleted) == 10 }, wait, tick)
	require.NoError(t, stop())
	assert.EqualValues(t, 3, most.Load())
}

func TestClaimsAllFreeSlotsInOneCall(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	f.create(5, nil)
	var active atomic.Int64
	release := make(chan struct{})
	w, err := worker.New(f.q, func(context.Context, *gosk.Task[job]) error {
		active.Add(1)
		<-release
		return nil
	}, &worker.Config{Concurrency: 5})
	require.NoError(t, err)
	stop := start(t, w)
	require.Eventually(t, func() bool { return active.Load() == 5 }, wait, tick)
	f.spy.mu.Lock()
	assert.Equal(t, 5, f.spy.claimLimits[0])
	assert.Equal(t, 5, f.spy.claimed[0], "one claim took all five")
	f.spy.mu.Unlock()
	close(release)
	require.Eventually(t, func() bool { return f.count(gosk.StateCompleted) == 5 }, wait, tick)
	require.NoError(t, stop())
}

func TestPriorityRuleOrdersTheWork(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	for _, p := range []int{1, 5, 3, 5, -2} {
		f.create(1, &gosk.CreateOptions{Priority: p})
	}
	var mu sync.Mutex
	var order []int
	w, err := worker.New(f.q, func(_ context.Context, task *gosk.Task[job]) error {
		mu.Lock()
		defer mu.Unlock()
		order = append(order, task.Priority)
		return nil
	}, &worker.Config{Concurrency: 1, Rule: gosk.Priority})
	require.NoError(t, err)
	stop := start(t, w)
	require.Eventually(t, func() bool { return f.count(gosk.StateCompleted) == 5 }, wait, tick)
	require.NoError(t, stop())
	assert.Equal(t, []int{5, 5, 3, 1, -2}, order)
}

func TestNotifyWakesAnIdleWorker(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	w, err := worker.New(f.q, ok, &worker.Config{PollInterval: time.Hour})
	require.NoError(t, err)
	stop := start(t, w)
	require.Eventually(t, func() bool { return f.spy.claims() >= 1 }, wait, tick, "the first, empty claim")
	id := f.create(1, nil)[0]
	require.Eventually(t, func() bool { return f.get(id).State == gosk.StateCompleted }, wait, tick,
		"with an hour's poll interval only a wake-up can pick the task up")
	require.NoError(t, stop())
}

func TestPollingWithoutNotifier(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	q, err := gosk.NewQueue[job](bare{f.spy}, "jobs", nil)
	require.NoError(t, err)
	w, err := worker.New(q, ok, &worker.Config{PollInterval: 10 * time.Millisecond})
	require.NoError(t, err)
	stop := start(t, w)
	require.Eventually(t, func() bool { return f.spy.claims() >= 1 }, wait, tick)
	id := f.create(1, nil)[0]
	require.Eventually(t, func() bool { return f.get(id).State == gosk.StateCompleted }, wait, tick)
	require.NoError(t, stop())
	assert.Zero(t, f.spy.purgeCalls(), "no driver.Admin, no retention")
}

func TestClaimErrorsAreLoggedAndRetried(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	id := f.create(1, nil)[0]
	f.spy.failClaim = 3
	logger, logs := newLogger()
	w, err := worker.New(f.q, ok, &worker.Config{Logger: logger})
	require.NoError(t, err)
	stop := start(t, w)
	require.Eventually(t, func() bool { return f.get(id).State == gosk.StateCompleted }, wait, tick)
	require.NoError(t, stop())
	assert.Equal(t, 3, strings.Count(logs.String(), "claim failed; will retry"))
}

func TestRunStopsWhenTheDriverCloses(t *testing.T) {
	t.Parallel()
	d := memory.New(nil)
	q, err := gosk.NewQueue[job](d, "jobs", nil)
	require.NoError(t, err)
	w, err := worker.New(q, ok, &worker.Config{PollInterval: 5 * time.Millisecond})
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- w.Run(context.Background()) }()
	require.NoError(t, d.Close())
	select {
	case err := <-done:
		require.ErrorIs(t, err, gosk.ErrClosed)
	case <-time.After(wait):
		t.Fatal("Run did not return after the driver closed")
	}
}

func TestManyWorkersShareAQueueAndCompleteEachTaskOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	ids := f.create(300, &gosk.CreateOptions{MaxAttempts: 10})
	var running sync.Map
	var overlaps atomic.Int64
	var mu sync.Mutex
	completed := map[int64]int{}
	onEvent := func(ev worker.Event) {
		if ev.Kind == worker.EventCompleted {
			mu.Lock()
			completed[ev.Task.ID]++
			mu.Unlock()
		}
	}
	handler := func(_ context.Context, task *gosk.Task[job]) error {
		if _, busy := running.LoadOrStore(task.ID, true); busy {
			overlaps.Add(1)
		}
		defer running.Delete(task.ID)
		if (task.ID+int64(task.Attempt))%4 == 0 {
			return errors.New("flaky")
		}
		return nil
	}
	var stops []func() error
	for range 4 {
		w, err := worker.New(f.q, handler, &worker.Config{
			Concurrency:  8,
			Lease:        time.Second,
			PingInterval: 20 * time.Millisecond,
			PollInterval: 5 * time.Millisecond,
			Backoff:      func(int) time.Duration { return 0 },
			OnEvent:      onEvent,
		})
		require.NoError(t, err)
		stops = append(stops, start(t, w))
	}
	require.Eventually(t, func() bool { return f.count(gosk.StateCompleted) == 300 }, wait, tick)
	for _, stop := range stops {
		require.NoError(t, stop())
	}
	assert.Zero(t, overlaps.Load(), "no task ran in two handlers at once")
	mu.Lock()
	defer mu.Unlock()
	for _, id := range ids {
		assert.Equal(t, 1, completed[id], "task %d completed once", id)
	}
}
