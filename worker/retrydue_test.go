package worker_test

// Retries come due: a task the worker released is claimed again when its
// back-off ends, not at the next poll.

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/worker"
)

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

// failsFirstAttempt is a handler that fails a task's first attempt and
// completes its retry.
func failsFirstAttempt(_ context.Context, task *gosk.Task[job]) error {
	if task.Attempt == 1 {
		return errors.New("not yet")
	}
	return nil
}
