package worker_test

// Storing outcomes: batches, their bounds, and a store that fails.

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
