package worker_test

// Work: the one-shot form of Run.

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
