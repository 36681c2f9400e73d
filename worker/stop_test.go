package worker_test

// Stop and StopNow: stopping a worker from another goroutine.

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/worker"
)

// listening hands a test the worker's notify subscription, which the
// claim loop holds under the context it claims with: its Done is closed
// once the worker has stopped claiming.
type listening struct {
	*spy
	subs chan *driver.Subscription
}

func (l *listening) Subscribe(ctx context.Context, queue string) (*driver.Subscription, error) {
	sub, err := l.spy.Subscribe(ctx, queue)
	if err == nil {
		l.subs <- sub
	}
	return sub, err
}

// listen returns f's queue on a driver that hands over the worker's
// subscriptions.
func listen(t *testing.T, f *fixture) (*gosk.Queue[job], <-chan *driver.Subscription) {
	t.Helper()
	l := &listening{spy: f.spy, subs: make(chan *driver.Subscription, 4)}
	q, err := gosk.NewQueue[job](l, "jobs", nil)
	require.NoError(t, err)
	return q, l.subs
}

// run runs w in the background and returns Run's result.
func run[T any](t *testing.T, w *worker.Worker[T], ctx context.Context) <-chan error {
	t.Helper()
	errc := make(chan error, 1)
	go func() { errc <- w.Run(ctx) }()
	t.Cleanup(func() { _ = w.StopNow(context.WithoutCancel(ctx)) })
	return errc
}

func closed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

func TestStopStopsClaimingAndLetsRunningHandlersFinish(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	ids := f.create(2, nil)
	q, subs := listen(t, f)
	started := make(chan struct{})
	proceed := make(chan struct{})
	var calls atomic.Int64
	var handlerErr atomic.Value
	w, err := worker.New(q, func(ctx context.Context, _ *gosk.Task[job]) error {
		if calls.Add(1) == 1 {
			close(started)
		}
		<-proceed
		if ctx.Err() != nil {
			handlerErr.Store(ctx.Err())
		}
		return nil
	}, &worker.Config{Concurrency: 1, ShutdownTimeout: time.Hour})
	require.NoError(t, err)
	errc := run(t, w, context.Background())
	sub := <-subs
	<-started
	stopErr := make(chan error, 1)
	go func() { stopErr <- w.Stop(context.Background()) }()
	<-sub.Done // the claim loop has stopped
	select {
	case err := <-stopErr:
		t.Fatalf("Stop returned (%v) while a handler was still running", err)
	default:
	}
	assert.False(t, closed(w.Stopped()), "Stopped is open while a handler runs")
	close(proceed)
	require.NoError(t, <-stopErr)
	assert.True(t, closed(w.Stopped()), "Stopped is closed once Stop has returned")
	require.NoError(t, <-errc)
	assert.Nil(t, handlerErr.Load(), "a graceful stop leaves the handler's context alone")
	assert.EqualValues(t, 1, calls.Load(), "nothing claimed after Stop")
	states := []gosk.State{f.get(ids[0]).State, f.get(ids[1]).State}
	assert.ElementsMatch(t, []gosk.State{gosk.StateCompleted, gosk.StatePending}, states)
}

// blocked is a handler that runs until its context is cancelled and
// reports the cause.
func blocked(started chan<- struct{}, cause chan<- error) worker.Handler[job] {
	return func(ctx context.Context, _ *gosk.Task[job]) error {
		started <- struct{}{}
		<-ctx.Done()
		cause <- context.Cause(ctx)
		return ctx.Err()
	}
}

func TestStopNowCancelsHandlersAndReleasesTheirTasks(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	id := f.create(1, nil)[0]
	started, cause := make(chan struct{}, 1), make(chan error, 1)
	var ev events
	w, err := worker.New(f.q, blocked(started, cause), &worker.Config{ShutdownTimeout: time.Hour, OnEvent: ev.add})
	require.NoError(t, err)
	errc := run(t, w, context.Background())
	<-started
	require.NoError(t, w.StopNow(context.Background()), "returns without waiting for the shutdown timeout")
	require.ErrorIs(t, <-cause, worker.ErrShutdown)
	require.NoError(t, <-errc)
	task := f.get(id)
	assert.Equal(t, gosk.StatePending, task.State, "released for another worker")
	assert.Equal(t, 0, task.Attempt, "the attempt was given back")
	assert.Equal(t, map[worker.EventKind]int{worker.EventReleased: 1}, ev.kinds())
}

func TestStopWhoseContextEndsStopsNow(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	id := f.create(1, nil)[0]
	started, cause := make(chan struct{}, 1), make(chan error, 1)
	w, err := worker.New(f.q, blocked(started, cause), &worker.Config{ShutdownTimeout: time.Hour})
	require.NoError(t, err)
	errc := run(t, w, context.Background())
	<-started
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, w.Stop(ctx), context.Canceled, "Stop returns once its context is done")
	require.ErrorIs(t, <-cause, worker.ErrShutdown, "and the handler is cancelled without waiting for the shutdown timeout")
	<-w.Stopped()
	require.NoError(t, <-errc)
	assert.Equal(t, gosk.StatePending, f.get(id).State)
}

func TestStopWithNothingRunningDoesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	ctx := context.Background()
	w, err := worker.New(f.q, ok, nil)
	require.NoError(t, err)
	require.NoError(t, w.Stop(ctx), "Stop before Run")
	require.NoError(t, w.StopNow(ctx), "StopNow before Run")
	assert.True(t, closed(w.Stopped()), "a worker not running is stopped")

	for round := range 2 { // Run after Stop runs as usual, and so does the next
		f.create(1, nil)
		errc := run(t, w, ctx)
		require.Eventually(t, func() bool { return f.count(gosk.StateCompleted) == int64(round+1) }, wait, tick)
		stopped := w.Stopped()
		assert.False(t, closed(stopped), "round %d: Stopped is open while Run runs", round)
		require.NoError(t, w.Stop(ctx))
		assert.True(t, closed(stopped))
		require.NoError(t, <-errc)
		require.NoError(t, w.Stop(ctx), "Stop after Run has returned")
	}
}

func TestStopTwiceStopNowAndRunsContextAtOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	id := f.create(1, nil)[0]
	started, cause := make(chan struct{}, 1), make(chan error, 1)
	w, err := worker.New(f.q, blocked(started, cause), &worker.Config{ShutdownTimeout: time.Hour})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	errc := run(t, w, ctx)
	<-started
	var wg sync.WaitGroup
	errs := make([]error, 3)
	wg.Go(func() { errs[0] = w.Stop(context.Background()) })
	wg.Go(func() { errs[1] = w.Stop(context.Background()) })
	wg.Go(cancel)
	wg.Go(func() { errs[2] = w.StopNow(context.Background()) })
	wg.Wait()
	assert.Equal(t, []error{nil, nil, nil}, errs, "every call returns once Run has")
	require.ErrorIs(t, <-cause, worker.ErrShutdown)
	require.NoError(t, <-errc)
	assert.Equal(t, gosk.StatePending, f.get(id).State)
	assert.Equal(t, 0, f.get(id).Attempt)
}

func TestStopAndRunsContextTogetherShutDownOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	id := f.create(1, nil)[0]
	started := make(chan struct{})
	proceed := make(chan struct{})
	var handlerErr atomic.Value
	var ev events
	w, err := worker.New(f.q, func(ctx context.Context, _ *gosk.Task[job]) error {
		close(started)
		<-proceed
		if ctx.Err() != nil {
			handlerErr.Store(ctx.Err())
		}
		return nil
	}, &worker.Config{ShutdownTimeout: time.Hour, OnEvent: ev.add})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	errc := run(t, w, ctx)
	<-started
	stopErr := make(chan error, 1)
	go func() { stopErr <- w.Stop(context.Background()) }()
	cancel()
	close(proceed)
	require.NoError(t, <-stopErr)
	require.NoError(t, <-errc)
	assert.Nil(t, handlerErr.Load(), "neither cancels a running handler")
	assert.Equal(t, gosk.StateCompleted, f.get(id).State)
	assert.Equal(t, map[worker.EventKind]int{worker.EventCompleted: 1}, ev.kinds())
}

func TestStopNowEndsWork(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	id := f.create(1, nil)[0]
	started, cause := make(chan struct{}, 1), make(chan error, 1)
	w, err := worker.New(f.q, blocked(started, cause), &worker.Config{ShutdownTimeout: time.Hour})
	require.NoError(t, err)
	errc := make(chan error, 1)
	go func() { errc <- w.Work(context.Background()) }()
	<-started
	require.NoError(t, w.StopNow(context.Background()))
	require.ErrorIs(t, <-errc, worker.ErrStopped)
	require.ErrorIs(t, <-cause, worker.ErrShutdown)
	assert.Equal(t, gosk.StatePending, f.get(id).State)
	assert.Equal(t, 0, f.get(id).Attempt)
}

func TestStopLetsWorkFinishItsTasks(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	id := f.create(1, nil)[0]
	started := make(chan struct{})
	proceed := make(chan struct{})
	w, err := worker.New(f.q, func(context.Context, *gosk.Task[job]) error {
		close(started)
		<-proceed
		return nil
	}, &worker.Config{ShutdownTimeout: time.Hour})
	require.NoError(t, err)
	errc := make(chan error, 1)
	go func() { errc <- w.Work(context.Background()) }()
	<-started
	stopErr := make(chan error, 1)
	go func() { stopErr <- w.Stop(context.Background()) }()
	close(proceed)
	require.NoError(t, <-stopErr)
	if err := <-errc; err != nil {
		// The stop came before the handler returned; it still let it
		// finish and stored its outcome.
		require.ErrorIs(t, err, worker.ErrStopped)
	}
	assert.Equal(t, gosk.StateCompleted, f.get(id).State)
}
