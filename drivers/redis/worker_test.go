package redis_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/driver"
	goskredis "github.com/gosk/gosk/drivers/redis"
	"github.com/gosk/gosk/worker"
)

// TestWorkerEndToEnd runs a real worker over the driver: every task is
// handled once, a failing one is retried, and a task created while the
// worker idles is picked up through the pub/sub wake-up, long before the
// poll interval.
func TestWorkerEndToEnd(t *testing.T) {
	t.Parallel()
	d := newDriver(t, singleClient(t), nil)
	defer d.Close()
	q, err := gosk.NewQueue[int](d, "e2e", nil)
	require.NoError(t, err)
	ctx := t.Context()

	var mu sync.Mutex
	runs := map[int]int{}
	handled := make(chan int, 100)
	w, err := worker.New(q, func(_ context.Context, task *gosk.Task[int]) error {
		mu.Lock()
		runs[task.Payload]++
		n := runs[task.Payload]
		mu.Unlock()
		if task.Payload == 7 && n == 1 {
			return gosk.ErrCancelTask
		}
		handled <- task.Payload
		return nil
	}, &worker.Config{Concurrency: 16, PollInterval: time.Minute})
	require.NoError(t, err)

	vals := make([]int, 50)
	for i := range vals {
		vals[i] = i
	}
	_, err = q.CreateMany(ctx, gosk.Items(vals, nil))
	require.NoError(t, err)

	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- w.Run(runCtx) }()
	for range 49 { // 7 cancels itself
		<-handled
	}

	// The worker is idle now and polls only once a minute: a new task must
	// wake it through Notify.
	start := time.Now()
	_, err = q.Create(ctx, 1000, nil)
	require.NoError(t, err)
	select {
	case v := <-handled:
		require.Equal(t, 1000, v)
		require.Less(t, time.Since(start), 5*time.Second, "woken by notify, not by the minute-long poll")
	case <-time.After(30 * time.Second):
		t.Fatal("the worker was not woken by a create")
	}
	cancel()
	require.NoError(t, <-done)

	mu.Lock()
	defer mu.Unlock()
	for i := range 50 {
		require.Equal(t, 1, runs[i], "task %d handled once", i)
	}
	counts, err := d.Count(ctx, "e2e")
	require.NoError(t, err)
	require.Equal(t, int64(50), counts["completed"])
	require.Equal(t, int64(1), counts["cancelled"])
}

// TestNoRetentionKeepsEveryFinalTask proves that retention is the worker's
// policy alone: on a driver with default options, under a worker with
// worker.NoRetention, final tasks finalised 30 days ago (well past the 7
// days after which the driver used to delete them in its scripts) survive
// the claims, finishes and cancels that used to sweep them. The tasks are
// made old by moving their finalisation time back (Backdate), since the
// scripts judge age by the server's clock.
func TestNoRetentionKeepsEveryFinalTask(t *testing.T) {
	t.Parallel()
	d := newDriver(t, singleClient(t), nil)
	defer d.Close()
	q, err := gosk.NewQueue[int](d, "keep", nil)
	require.NoError(t, err)
	ctx := t.Context()

	create := func(n int) []int64 {
		tasks := make([]driver.NewTask, n)
		for i := range tasks {
			tasks[i] = driver.NewTask{Queue: "keep", Payload: []byte("1"), MaxAttempts: 1}
		}
		res, err := d.Create(ctx, tasks)
		require.NoError(t, err)
		ids := make([]int64, n)
		for i, r := range res {
			require.NoError(t, r.Err)
			ids[i] = r.ID
		}
		return ids
	}
	cancel := func(ids []int64) {
		errs, err := d.Cancel(ctx, ids)
		require.NoError(t, err)
		for _, err := range errs {
			require.NoError(t, err)
		}
	}
	// work runs a worker that keeps every final task until the tasks ids
	// are completed.
	work := func(ids []int64) {
		w, err := worker.New(q, func(context.Context, *gosk.Task[int]) error { return nil },
			&worker.Config{Concurrency: 4, PollInterval: 10 * time.Millisecond, Retention: worker.NoRetention})
		require.NoError(t, err)
		runCtx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- w.Run(runCtx) }()
		require.Eventually(t, func() bool {
			for _, id := range ids {
				if rec, err := d.Get(ctx, id); err != nil || rec.State != driver.StateCompleted {
					return false
				}
			}
			return true
		}, 30*time.Second, 10*time.Millisecond)
		stop()
		require.NoError(t, <-done)
	}

	// More old tasks per final state than one sweep deletes (16).
	old := create(40)
	cancel(old[30:])
	work(old[:30])
	for _, id := range old {
		require.NoError(t, goskredis.Backdate(ctx, d, id, 30*24*time.Hour))
	}

	// Claims and finishes of new tasks, and a cancel, each of which used to
	// sweep final tasks older than 7 days.
	fresh := create(25)
	cancel(fresh[20:])
	work(fresh[:20])

	for _, id := range old {
		rec, err := d.Get(ctx, id)
		require.NoError(t, err, "task %d, finalised 30 days ago, is kept", id)
		require.Greater(t, time.Since(rec.FinalizedAt), 29*24*time.Hour)
	}
	n, err := d.Count(ctx, "keep")
	require.NoError(t, err)
	require.Equal(t, int64(50), n[driver.StateCompleted])
	require.Equal(t, int64(15), n[driver.StateCancelled])
}
