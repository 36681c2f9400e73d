package worker_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivers/memory"
	"github.com/gosk/gosk/worker"
)

func ok(context.Context, *gosk.Task[job]) error { return nil }

func TestNewRefusesInvalidSettings(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	cases := map[string]struct {
		cfg  worker.Config
		want string
	}{
		"negative concurrency":         {worker.Config{Concurrency: -1}, "Config.Concurrency"},
		"negative lease":               {worker.Config{Lease: -time.Second}, "Config.Lease"},
		"negative ping interval":       {worker.Config{PingInterval: -time.Second}, "Config.PingInterval"},
		"lease of 1ns":                 {worker.Config{Lease: time.Nanosecond}, "Config.Lease 1ns is shorter than MinLease 100ms"},
		"lease of 10µs":                {worker.Config{Lease: 10 * time.Microsecond}, "Config.Lease 10µs is shorter than MinLease 100ms"},
		"lease just under the minimum": {worker.Config{Lease: worker.MinLease - 1}, "shorter than MinLease"},
		"ping interval of 1µs":         {worker.Config{Lease: time.Second, PingInterval: time.Microsecond}, "Config.PingInterval 1µs is shorter than MinPingInterval 1ms"},
		"ping interval equal to lease": {worker.Config{Lease: time.Second, PingInterval: time.Second}, "not shorter than Config.Lease"},
		"ping interval over the lease": {worker.Config{Lease: time.Second, PingInterval: time.Minute}, "not shorter than Config.Lease"},
		"negative poll interval":       {worker.Config{PollInterval: -1}, "Config.PollInterval"},
		"negative finish window":       {worker.Config{FinishWindow: -1}, "Config.FinishWindow"},
		"finish window over pings":     {worker.Config{Lease: time.Second, FinishWindow: time.Second / 2}, "Config.FinishWindow"},
		"negative finish batch":        {worker.Config{FinishBatch: -1}, "Config.FinishBatch"},
		"negative shutdown timeout":    {worker.Config{ShutdownTimeout: -1}, "Config.ShutdownTimeout"},
		"negative handler timeout":     {worker.Config{HandlerTimeout: -1}, "Config.HandlerTimeout"},
		"negative retention":           {worker.Config{Retention: -time.Hour}, "Config.Retention"},
		"negative retention interval":  {worker.Config{RetentionInterval: -1}, "Config.RetentionInterval"},
		"negative retention batch":     {worker.Config{RetentionBatch: -1}, "Config.RetentionBatch"},
		"nil middleware":               {worker.Config{Middleware: []worker.Middleware{nil}}, "Config.Middleware[0]"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w, err := worker.New(f.q, ok, &c.cfg)
			require.ErrorIs(t, err, gosk.ErrInvalid)
			assert.ErrorContains(t, err, c.want)
			assert.Nil(t, w)
		})
	}
	t.Run("unknown rule", func(t *testing.T) {
		t.Parallel()
		_, err := worker.New(f.q, ok, &worker.Config{Rule: gosk.PriorityRule(42)})
		require.ErrorIs(t, err, gosk.ErrUnsupportedPriorityRule)
		assert.ErrorContains(t, err, "Config.Rule")
	})
	t.Run("nil handler", func(t *testing.T) {
		t.Parallel()
		_, err := worker.New[job](f.q, nil, nil)
		require.ErrorIs(t, err, gosk.ErrInvalid)
		assert.ErrorContains(t, err, "handler is nil")
	})
	t.Run("nil queue", func(t *testing.T) {
		t.Parallel()
		_, err := worker.New[job](nil, ok, nil)
		require.ErrorIs(t, err, gosk.ErrInvalid)
		assert.ErrorContains(t, err, "queue is nil")
	})
}

func TestNewFillsDefaults(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	w, err := worker.New(f.q, ok, nil)
	require.NoError(t, err)
	c := w.Config()
	assert.Equal(t, worker.DefaultConcurrency, c.Concurrency)
	assert.Equal(t, gosk.Fifo, c.Rule)
	assert.Equal(t, worker.DefaultLease, c.Lease)
	assert.Equal(t, worker.DefaultLease/3, c.PingInterval)
	assert.Equal(t, worker.DefaultPollInterval, c.PollInterval)
	assert.Equal(t, worker.DefaultFinishWindow, c.FinishWindow)
	assert.Equal(t, worker.DefaultFinishBatch, c.FinishBatch)
	assert.Equal(t, worker.DefaultShutdownTimeout, c.ShutdownTimeout)
	assert.Equal(t, worker.DefaultRetention, c.Retention)
	assert.Equal(t, worker.DefaultRetentionInterval, c.RetentionInterval)
	assert.Equal(t, worker.DefaultRetentionBatch, c.RetentionBatch)
	assert.NotNil(t, c.Backoff)
	assert.NotNil(t, c.Logger)

	w, err = worker.New(f.q, ok, &worker.Config{Lease: 90 * time.Second})
	require.NoError(t, err)
	assert.Equal(t, 30*time.Second, w.Config().PingInterval, "a third of the lease")
}

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

func TestCancelTaskCancels(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	id := f.create(1, nil)[0]
	var ev events
	w, err := worker.New(f.q, func(context.Context, *gosk.Task[job]) error {
		return fmt.Errorf("image is empty: %w", gosk.ErrCancelTask)
	}, &worker.Config{OnEvent: ev.add})
	require.NoError(t, err)
	stop := start(t, w)
	require.Eventually(t, func() bool { return f.get(id).State == gosk.StateCancelled }, wait, tick)
	require.NoError(t, stop())
	task := f.get(id)
	assert.Equal(t, 1, task.Attempt)
	assert.Contains(t, task.LastError, "image is empty")
	assert.Equal(t, map[worker.EventKind]int{worker.EventCancelled: 1}, ev.kinds())
}

func TestErrorsRetryWithBackoffThenFail(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	id := f.create(1, &gosk.CreateOptions{MaxAttempts: 3})[0]
	var mu sync.Mutex
	var backoffs []int
	var ev events
	w, err := worker.New(f.q, func(_ context.Context, task *gosk.Task[job]) error {
		return fmt.Errorf("boom %d", task.Attempt)
	}, &worker.Config{
		PollInterval: 5 * time.Millisecond,
		OnEvent:      ev.add,
		Backoff: func(attempt int) time.Duration {
			mu.Lock()
			defer mu.Unlock()
			backoffs = append(backoffs, attempt)
			return 0
		},
	})
	require.NoError(t, err)
	stop := start(t, w)
	require.Eventually(t, func() bool { return f.get(id).State == gosk.StateFailed }, wait, tick)
	require.NoError(t, stop())
	task := f.get(id)
	assert.Equal(t, 3, task.Attempt)
	assert.Equal(t, "boom 3", task.LastError)
	assert.Equal(t, []int{1, 2}, backoffs, "back-off asked for each retry, not for the last attempt")
	assert.Equal(t, map[worker.EventKind]int{worker.EventRetried: 2, worker.EventFailed: 1}, ev.kinds())
}

func TestBackoffDelaysTheRetry(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	id := f.create(1, nil)[0]
	var ev events
	w, err := worker.New(f.q, func(context.Context, *gosk.Task[job]) error {
		return errors.New("try later")
	}, &worker.Config{OnEvent: ev.add, Backoff: func(int) time.Duration { return time.Hour }})
	require.NoError(t, err)
	before := time.Now()
	stop := start(t, w)
	require.Eventually(t, func() bool { return len(ev.list()) == 1 }, wait, tick)
	require.NoError(t, stop())
	task := f.get(id)
	assert.Equal(t, gosk.StatePending, task.State)
	assert.Equal(t, 1, task.Attempt)
	assert.Equal(t, "try later", task.LastError)
	assert.True(t, task.RunAt.After(before.Add(59*time.Minute)), "run-at %v", task.RunAt)
	assert.Equal(t, time.Hour, ev.list()[0].Delay)
}

func TestDefaultBackoffGrowsWithJitterAndCap(t *testing.T) {
	t.Parallel()
	for range 100 {
		d := worker.DefaultBackoff(1)
		assert.True(t, d >= time.Second/2 && d <= time.Second, "attempt 1: %v", d)
		d = worker.DefaultBackoff(4)
		assert.True(t, d >= 4*time.Second && d <= 8*time.Second, "attempt 4: %v", d)
		d = worker.DefaultBackoff(1000)
		assert.True(t, d >= worker.BackoffMax/2 && d <= worker.BackoffMax, "attempt 1000: %v", d)
	}
	seen := map[time.Duration]bool{}
	for range 20 {
		seen[worker.DefaultBackoff(10)] = true
	}
	assert.Greater(t, len(seen), 1, "jittered")
}

func TestPanicIsRecoveredAndItsStackLogged(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	id := f.create(1, &gosk.CreateOptions{MaxAttempts: 1})[0]
	logger, logs := newLogger()
	var ev events
	w, err := worker.New(f.q, func(context.Context, *gosk.Task[job]) error {
		panic("kaboom")
	}, &worker.Config{Logger: logger, OnEvent: ev.add})
	require.NoError(t, err)
	stop := start(t, w)
	require.Eventually(t, func() bool { return f.get(id).State == gosk.StateFailed }, wait, tick)
	require.NoError(t, stop())
	assert.Equal(t, "panic: kaboom", f.get(id).LastError)
	assert.Contains(t, logs.String(), "handler panicked")
	assert.Contains(t, logs.String(), "worker_test.TestPanicIsRecoveredAndItsStackLogged", "the stack names the panicking function")
	var pe *worker.PanicError
	require.ErrorAs(t, ev.list()[0].Err, &pe)
	assert.Equal(t, "kaboom", pe.Value)
}

func TestSnoozeGivesTheAttemptBack(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	now := f.create(1, nil)[0]
	later := f.create(1, nil)[0]
	var calls sync.Map
	var ev events
	w, err := worker.New(f.q, func(_ context.Context, task *gosk.Task[job]) error {
		n, _ := calls.LoadOrStore(task.ID, new(atomic.Int64))
		switch {
		case task.ID == later:
			n.(*atomic.Int64).Add(1)
			return gosk.Snooze(time.Hour)
		case n.(*atomic.Int64).Add(1) == 1:
			return fmt.Errorf("not yet: %w", gosk.Snooze(0))
		}
		return nil
	}, &worker.Config{OnEvent: ev.add, PollInterval: 5 * time.Millisecond})
	require.NoError(t, err)
	stop := start(t, w)
	require.Eventually(t, func() bool { return f.get(now).State == gosk.StateCompleted }, wait, tick)
	require.Eventually(t, func() bool { return ev.kinds()[worker.EventSnoozed] == 2 }, wait, tick)
	require.NoError(t, stop())
	assert.Equal(t, 1, f.get(now).Attempt, "the snoozed run gave its attempt back")
	task := f.get(later)
	assert.Equal(t, gosk.StatePending, task.State)
	assert.Equal(t, 0, task.Attempt)
	assert.Empty(t, task.LastError, "a snooze is not an error")
	assert.True(t, task.RunAt.After(time.Now().Add(59*time.Minute)))
}

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

func TestShutdownReleasesUnfinishedTasksWithoutUsingAnAttempt(t *testing.T) {
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
	}, &worker.Config{ShutdownTimeout: 20 * time.Millisecond, OnEvent: ev.add})
	require.NoError(t, err)
	stop := start(t, w)
	<-started
	require.NoError(t, stop())
	err = <-cause
	require.Error(t, err)
	require.ErrorIs(t, err, worker.ErrShutdown)
	task := f.get(id)
	assert.Equal(t, gosk.StatePending, task.State, "released for another worker")
	assert.Equal(t, 0, task.Attempt, "the attempt was given back")
	assert.Equal(t, map[worker.EventKind]int{worker.EventReleased: 1}, ev.kinds())
}

func TestShutdownLetsRunningHandlersFinish(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	id := f.create(1, nil)[0]
	started := make(chan struct{})
	proceed := make(chan struct{})
	var handlerErr atomic.Value
	w, err := worker.New(f.q, func(ctx context.Context, _ *gosk.Task[job]) error {
		close(started)
		<-proceed
		if ctx.Err() != nil {
			handlerErr.Store(ctx.Err())
		}
		return nil
	}, &worker.Config{ShutdownTimeout: time.Minute})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	<-started
	cancel()
	select {
	case err := <-done:
		t.Fatalf("Run returned (%v) while a handler was still running", err)
	default:
	}
	close(proceed)
	require.NoError(t, <-done)
	assert.Nil(t, handlerErr.Load(), "the handler's context lived on through the grace period")
	assert.Equal(t, gosk.StateCompleted, f.get(id).State)
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

func TestOutcomesAreFinishedInBatches(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	f.create(10, nil)
	var active atomic.Int64
	release := make(chan struct{})
	w, err := worker.New(f.q, func(context.Context, *gosk.Task[job]) error {
		active.Add(1)
		<-release
		return nil
	}, &worker.Config{Concurrency: 10, FinishWindow: 500 * time.Millisecond})
	require.NoError(t, err)
	stop := start(t, w)
	require.Eventually(t, func() bool { return active.Load() == 10 }, wait, tick)
	close(release)
	require.Eventually(t, func() bool { return f.count(gosk.StateCompleted) == 10 }, wait, tick)
	require.NoError(t, stop())
	sizes := f.spy.finishes()
	total := 0
	for _, n := range sizes {
		total += n
	}
	assert.Equal(t, 10, total)
	assert.LessOrEqual(t, len(sizes), 2, "ten outcomes gathered into one or two calls, got %v", sizes)
}

func TestFinishBatchBoundsACall(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	f.create(9, nil)
	w, err := worker.New(f.q, ok, &worker.Config{Concurrency: 9, FinishBatch: 2})
	require.NoError(t, err)
	stop := start(t, w)
	require.Eventually(t, func() bool { return f.count(gosk.StateCompleted) == 9 }, wait, tick)
	require.NoError(t, stop())
	for _, n := range f.spy.finishes() {
		assert.LessOrEqual(t, n, 2)
	}
}

func TestStoreErrorsAreLoggedAndRetried(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	id := f.create(1, nil)[0]
	f.spy.failFinish = 3
	f.spy.failPing = 1000
	logger, logs := newLogger()
	w, err := worker.New(f.q, ok, &worker.Config{Logger: logger, Lease: time.Second, PingInterval: 10 * time.Millisecond})
	require.NoError(t, err)
	stop := start(t, w)
	require.Eventually(t, func() bool { return f.get(id).State == gosk.StateCompleted }, wait, tick)
	require.NoError(t, stop())
	assert.Contains(t, logs.String(), "could not store outcomes; will retry")
	assert.Contains(t, logs.String(), errStore.Error())
	assert.Contains(t, logs.String(), "ping failed; will retry")
}

func TestShutdownGivesUpOnADeadStore(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	f.create(1, nil)
	f.spy.failFinish = 1 << 30
	var ev events
	w, err := worker.New(f.q, ok, &worker.Config{Lease: 100 * time.Millisecond, OnEvent: ev.add})
	require.NoError(t, err)
	stop := start(t, w)
	require.Eventually(t, func() bool {
		return len(f.spy.finishes()) == 0 && f.spy.claims() >= 1 && f.count(gosk.StateRunning) == 1
	}, wait, tick)
	err = stop()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not stored")
	assert.Equal(t, map[worker.EventKind]int{worker.EventNotStored: 1}, ev.kinds())
}

func TestRetentionPurgesOldFinalTasks(t *testing.T) {
	t.Parallel()
	f := newFixture(t, true)
	old := f.create(1, nil)[0]
	w, err := worker.New(f.q, ok, &worker.Config{Retention: time.Hour, RetentionInterval: 5 * time.Millisecond, PollInterval: 5 * time.Millisecond})
	require.NoError(t, err)
	stop := start(t, w)
	require.Eventually(t, func() bool { return f.get(old).State == gosk.StateCompleted }, wait, tick)
	f.clock.Add(2 * time.Hour)
	recent := f.create(1, nil)[0]
	require.Eventually(t, func() bool { return f.get(recent).State == gosk.StateCompleted }, wait, tick)
	require.Eventually(t, func() bool {
		_, err := f.q.Get(context.Background(), old)
		return errors.Is(err, gosk.ErrTaskNotFound)
	}, wait, tick)
	require.NoError(t, stop())
	assert.Equal(t, gosk.StateCompleted, f.get(recent).State, "a recent final task is kept")
}

func TestNoRetentionPurgesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	id := f.create(1, nil)[0]
	w, err := worker.New(f.q, ok, &worker.Config{Retention: worker.NoRetention, RetentionInterval: time.Millisecond, PollInterval: 5 * time.Millisecond})
	require.NoError(t, err)
	stop := start(t, w)
	require.Eventually(t, func() bool { return f.get(id).State == gosk.StateCompleted && f.spy.claims() >= 5 }, wait, tick)
	require.NoError(t, stop())
	assert.Zero(t, f.spy.purgeCalls())
}

func TestMiddlewareWrapsTheHandlerInOrder(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	id := f.create(1, &gosk.CreateOptions{Priority: 7, MaxAttempts: 4})[0]
	var mu sync.Mutex
	var trace []string
	record := func(s string) {
		mu.Lock()
		defer mu.Unlock()
		trace = append(trace, s)
	}
	type key struct{}
	mw := func(name string) worker.Middleware {
		return func(ctx context.Context, info worker.TaskInfo, next func(context.Context) error) error {
			record(fmt.Sprintf("%s in %d/%d p%d %s", name, info.Attempt, info.MaxAttempts, info.Priority, info.Queue))
			err := next(context.WithValue(ctx, key{}, name))
			record(fmt.Sprintf("%s out %v", name, err))
			return err
		}
	}
	var ev events
	w, err := worker.New(f.q, func(ctx context.Context, _ *gosk.Task[job]) error {
		record(fmt.Sprintf("handler sees %v", ctx.Value(key{})))
		return nil
	}, &worker.Config{Middleware: []worker.Middleware{mw("outer"), mw("inner")}, OnEvent: ev.add})
	require.NoError(t, err)
	stop := start(t, w)
	require.Eventually(t, func() bool { return len(ev.list()) == 1 }, wait, tick)
	require.NoError(t, stop())
	assert.Equal(t, []string{
		"outer in 1/4 p7 jobs", "inner in 1/4 p7 jobs", "handler sees inner", "inner out <nil>", "outer out <nil>",
	}, trace)
	e := ev.list()[0]
	assert.Equal(t, worker.EventCompleted, e.Kind)
	assert.Equal(t, id, e.Task.ID)
	assert.NoError(t, e.Err)
}

func TestHandlerContextKeepsRunValues(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	f.create(1, nil)
	type key struct{}
	got := make(chan any, 1)
	w, err := worker.New(f.q, func(ctx context.Context, _ *gosk.Task[job]) error {
		got <- ctx.Value(key{})
		return nil
	}, nil)
	require.NoError(t, err)
	require.NoError(t, w.Work(context.WithValue(context.Background(), key{}, "v")))
	assert.Equal(t, "v", <-got)
}

func TestWorkHandlesWhatIsAvailableNow(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	ctx := context.Background()
	var handled atomic.Int64
	w, err := worker.New(f.q, func(context.Context, *gosk.Task[job]) error {
		handled.Add(1)
		return nil
	}, &worker.Config{Concurrency: 2})
	require.NoError(t, err)
	require.ErrorIs(t, w.Work(ctx), worker.ErrNoTask)
	f.create(3, nil)
	require.NoError(t, w.Work(ctx))
	assert.EqualValues(t, 2, handled.Load(), "one claim, up to Concurrency")
	assert.EqualValues(t, 2, f.count(gosk.StateCompleted), "stored before Work returns")
	require.NoError(t, w.Work(ctx))
	require.ErrorIs(t, w.Work(ctx), worker.ErrNoTask)
	assert.EqualValues(t, 3, f.count(gosk.StateCompleted))
}

func TestRunAndWorkDoNotOverlap(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	w, err := worker.New(f.q, ok, nil)
	require.NoError(t, err)
	stop := start(t, w)
	require.Eventually(t, func() bool { return f.spy.claims() >= 1 }, wait, tick)
	err = w.Work(context.Background())
	assert.ErrorContains(t, err, "already running")
	require.NoError(t, stop())
	require.ErrorIs(t, w.Work(context.Background()), worker.ErrNoTask, "free again once Run returned")
}

func TestUndecodablePayloadCountsAsAnError(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	res, err := f.mem.Create(context.Background(), []driver.NewTask{{Queue: "jobs", Payload: []byte("{not json"), MaxAttempts: 1}})
	require.NoError(t, err)
	var called atomic.Bool
	w, err := worker.New(f.q, func(context.Context, *gosk.Task[job]) error {
		called.Store(true)
		return nil
	}, nil)
	require.NoError(t, err)
	require.NoError(t, w.Work(context.Background()))
	assert.False(t, called.Load())
	task, err := f.mem.Get(context.Background(), res[0].ID)
	require.NoError(t, err)
	assert.Equal(t, gosk.StateFailed, task.State)
	assert.Contains(t, task.LastError, "decode payload")
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

func TestRunWithADoneContextReturnsAtOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	f.create(1, nil)
	w, err := worker.New(f.q, ok, nil)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.NoError(t, w.Run(ctx))
	assert.EqualValues(t, 1, f.count(gosk.StatePending))
}

func TestLongErrorTextIsBoundedAndValid(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	id := f.create(1, &gosk.CreateOptions{MaxAttempts: 1})[0]
	w, err := worker.New(f.q, func(context.Context, *gosk.Task[job]) error {
		return errors.New(strings.Repeat("é", driver.MaxMessageLen) + "\xff")
	}, nil)
	require.NoError(t, err)
	require.NoError(t, w.Work(context.Background()))
	msg := f.get(id).LastError
	assert.LessOrEqual(t, len(msg), driver.MaxMessageLen)
	assert.Greater(t, len(msg), driver.MaxMessageLen-utf8.UTFMax, "cut at the limit, not below")
	assert.True(t, strings.HasPrefix(msg, "éé"))
	assert.NotContains(t, msg, "\xff")
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

func TestWorkCutShortReleasesAndReturnsTheContextError(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	id := f.create(1, nil)[0]
	ctx, cancel := context.WithCancel(context.Background())
	w, err := worker.New(f.q, func(ctx context.Context, _ *gosk.Task[job]) error {
		cancel()
		<-ctx.Done()
		return context.Cause(ctx)
	}, &worker.Config{ShutdownTimeout: time.Millisecond})
	require.NoError(t, err)
	require.ErrorIs(t, w.Work(ctx), context.Canceled)
	task := f.get(id)
	assert.Equal(t, gosk.StatePending, task.State)
	assert.Equal(t, 0, task.Attempt)
}

func TestHandlerTimeoutCancelsARunThatTakesTooLong(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	id := f.create(1, &gosk.CreateOptions{MaxAttempts: 1})[0]
	w, err := worker.New(f.q, func(ctx context.Context, _ *gosk.Task[job]) error {
		<-ctx.Done()
		return context.Cause(ctx)
	}, &worker.Config{HandlerTimeout: 10 * time.Millisecond})
	require.NoError(t, err)
	require.NoError(t, w.Work(context.Background()))
	task := f.get(id)
	assert.Equal(t, gosk.StateFailed, task.State)
	assert.Equal(t, worker.ErrHandlerTimeout.Error(), task.LastError)
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

func TestHeldTasksStayBoundedWhileOutcomesCannotBeStored(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	f.create(20, nil)
	f.spy.failFinish = 1 << 30
	w, err := worker.New(f.q, ok, &worker.Config{Concurrency: 2, PollInterval: time.Millisecond, ShutdownTimeout: time.Millisecond, Lease: 200 * time.Millisecond})
	require.NoError(t, err)
	stop := start(t, w)
	require.Eventually(t, func() bool { return f.count(gosk.StateRunning) == 4 }, wait, tick, "two running, two waiting to be stored")
	n := f.spy.failedFinishes()
	require.Eventually(t, func() bool { return f.spy.failedFinishes() >= n+3 }, wait, tick)
	assert.EqualValues(t, 4, f.count(gosk.StateRunning), "no more claims while four are held")
	require.Error(t, stop(), "the outcomes were never stored")
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

func TestTasksClaimedWhileStoppingAreReleasedUnrun(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	id := f.create(1, nil)[0]
	ctx, cancel := context.WithCancel(context.Background())
	f.spy.afterClaim = cancel // Run's context ends while its claim is in flight
	var called atomic.Bool
	var ev events
	w, err := worker.New(f.q, func(context.Context, *gosk.Task[job]) error {
		called.Store(true)
		return nil
	}, &worker.Config{OnEvent: ev.add})
	require.NoError(t, err)
	require.NoError(t, w.Run(ctx))
	assert.False(t, called.Load(), "no handler starts once Run's context is done")
	task := f.get(id)
	assert.Equal(t, gosk.StatePending, task.State)
	assert.Equal(t, 0, task.Attempt)
	assert.Equal(t, map[worker.EventKind]int{worker.EventReleased: 1}, ev.kinds())
}

// A task this worker released for a retry is claimed again when its
// back-off ends, not at the next poll: with an hour's poll interval and no
// wake-up for delayed tasks, only the worker's own due timer can pick it
// up.
func TestRetryIsPickedUpWhenItsBackoffEnds(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	id := f.create(1, nil)[0]
	w, err := worker.New(f.q, failsFirstAttempt, &worker.Config{PollInterval: time.Hour, Backoff: func(int) time.Duration { return 20 * time.Millisecond }})
	require.NoError(t, err)
	stop := start(t, w)
	require.Eventually(t, func() bool { return f.get(id).State == gosk.StateCompleted }, wait, tick,
		"the retry runs once its 20ms back-off ends")
	require.NoError(t, stop())
	assert.Equal(t, 2, f.get(id).Attempt)
}

// Two tasks fail together with different back-offs: each is claimed again
// when its own back-off ends. The worker must remember every due time of
// its releases, not only the earliest, or the later retry waits for the
// next poll (an hour here).
func TestEveryRetryIsPickedUpWhenItsBackoffEnds(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	ids := f.create(2, nil)
	var first sync.WaitGroup
	first.Add(2)
	var backoffs atomic.Int64
	w, err := worker.New(f.q, func(_ context.Context, task *gosk.Task[job]) error {
		if task.Attempt == 1 {
			first.Done()
			first.Wait() // both fail together, so both due times are known before the first passes
			return errors.New("not yet")
		}
		return nil
	}, &worker.Config{Concurrency: 2, PollInterval: time.Hour, Backoff: func(int) time.Duration {
		if backoffs.Add(1) == 1 {
			return 20 * time.Millisecond
		}
		return 200 * time.Millisecond
	}})
	require.NoError(t, err)
	stop := start(t, w)
	require.Eventually(t, func() bool {
		return f.get(ids[0]).State == gosk.StateCompleted && f.get(ids[1]).State == gosk.StateCompleted
	}, wait, tick, "both retries run once their back-offs end")
	require.NoError(t, stop())
}

// A retry without back-off is claimed again at once even from a driver
// without driver.Notifier, whose release wakes nobody: it is due now.
func TestRetryWithoutBackoffIsPickedUpWithoutANotifier(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	id := f.create(1, nil)[0]
	q, err := gosk.NewQueue[job](bare{f.spy}, "jobs", nil)
	require.NoError(t, err)
	w, err := worker.New(q, failsFirstAttempt, &worker.Config{PollInterval: time.Hour, Backoff: func(int) time.Duration { return 0 }})
	require.NoError(t, err)
	stop := start(t, w)
	require.Eventually(t, func() bool { return f.get(id).State == gosk.StateCompleted }, wait, tick,
		"the retry runs at once, not at the next poll")
	require.NoError(t, stop())
	assert.Equal(t, 2, f.get(id).Attempt)
}

// Work returns nil when every task it claimed was handled and its outcome
// stored, even if its context ends just after, before Work has noticed:
// ctx's error would say the tasks were cut short.
func TestWorkReturnsNilWhenItsContextEndsAfterTheTasksAreHandled(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	id := f.create(1, nil)[0]
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w, err := worker.New(f.q, ok, &worker.Config{OnEvent: func(worker.Event) { cancel() }}) // stored: now ctx ends
	require.NoError(t, err)
	require.NoError(t, w.Work(ctx))
	assert.Equal(t, gosk.StateCompleted, f.get(id).State)
}

// failsFirstAttempt is a handler that fails a task's first attempt and
// completes its retry.
func failsFirstAttempt(_ context.Context, task *gosk.Task[job]) error {
	if task.Attempt == 1 {
		return errors.New("not yet")
	}
	return nil
}
