package worker_test

// Shutdown: what Run leaves behind once its context is done.

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/worker"
)

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
