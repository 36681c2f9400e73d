package worker_test

// Retention: the purge of old final tasks.

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/worker"
)

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
