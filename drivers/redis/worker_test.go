package redis_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk"
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
