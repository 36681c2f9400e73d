package worker_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/worker"
)

// TestPausedQueueRunsNothingUntilResumed runs a worker on a paused queue
// with a poll interval longer than the test: it runs nothing while the
// queue is paused, though a task is created (and wakes it), and runs the
// task at once when the queue is resumed, woken by the resume.
func TestPausedQueueRunsNothingUntilResumed(t *testing.T) {
	f := newFixture(t, false)
	ctx := context.Background()
	require.NoError(t, f.q.Pause(ctx))
	var ran atomic.Int64
	w, err := worker.New(f.q, func(context.Context, *gosk.Task[job]) error {
		ran.Add(1)
		return nil
	}, &worker.Config{PollInterval: time.Hour, Retention: worker.NoRetention})
	require.NoError(t, err)
	start(t, w)
	// The worker subscribes before its first claim.
	require.Eventually(t, func() bool { return f.spy.claims() > 0 }, 10*time.Second, time.Millisecond,
		"the worker claims once at start")

	claims := f.spy.claims()
	id := f.create(1, nil)[0]
	// The create wakes the worker, whose claim finds the queue paused.
	require.Eventually(t, func() bool { return f.spy.claims() > claims }, 10*time.Second, time.Millisecond,
		"the create wakes the worker")
	require.Zero(t, ran.Load(), "a paused queue hands its worker nothing")
	require.Equal(t, gosk.StatePending, f.get(id).State)

	require.NoError(t, f.q.Resume(ctx))
	require.Eventually(t, func() bool { return f.get(id).State == gosk.StateCompleted }, 10*time.Second, time.Millisecond,
		"the resume wakes the worker, which runs the task without waiting for its next poll")
	require.EqualValues(t, 1, ran.Load())
}
