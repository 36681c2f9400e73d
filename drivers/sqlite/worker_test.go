package sqlite_test

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/driver"
	gosksqlite "github.com/gosk/gosk/drivers/sqlite"
	"github.com/gosk/gosk/worker"
)

// lockedBuffer is a log sink that the worker's goroutines share.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestWorkerOnFile runs two workers of 16 handlers each on one file, each
// through its own *sql.DB as two processes would, and checks that every
// task runs once and that no store call failed (SQLITE_BUSY included): the
// workers log every failed store call, and the log must stay clean.
func TestWorkerOnFile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, path := openFile(t, nil)
	b, err := gosksqlite.Open(ctx, path, nil)
	require.NoError(t, err)
	defer b.Close()
	const n = 400
	qa, err := gosk.NewQueue[int](a, "work", nil)
	require.NoError(t, err)
	qb, err := gosk.NewQueue[int](b, "work", nil)
	require.NoError(t, err)
	values := make([]int, n)
	for i := range values {
		values[i] = i
	}
	_, err = qa.CreateMany(ctx, gosk.Items(values, nil))
	require.NoError(t, err)

	var mu sync.Mutex
	runs := make(map[int]int)
	var completed atomic.Int64
	logs := &lockedBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	handler := func(_ context.Context, task *gosk.Task[int]) error {
		mu.Lock()
		defer mu.Unlock()
		runs[task.Payload]++
		return nil
	}
	cfg := &worker.Config{
		Concurrency: 16,
		Lease:       time.Minute,
		Retention:   worker.NoRetention,
		Logger:      logger,
		OnEvent: func(e worker.Event) {
			if e.Kind == worker.EventCompleted {
				completed.Add(1)
			}
		},
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for _, q := range []*gosk.Queue[int]{qa, qb} {
		w, err := worker.New(q, handler, cfg)
		require.NoError(t, err)
		wg.Go(func() { errs <- w.Run(runCtx) })
	}
	require.Eventually(t, func() bool { return completed.Load() == n }, time.Minute, 10*time.Millisecond,
		"every task completes")
	cancel()
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Len(t, runs, n)
	for v, times := range runs {
		require.Equal(t, 1, times, "task %d ran %d times", v, times)
	}
	require.Empty(t, logs.String(), "no store call failed")
	count, err := a.Count(ctx, "work")
	require.NoError(t, err)
	require.EqualValues(t, n, count[driver.StateCompleted])
}

// TestOtherHandleIsFoundByPolling creates tasks through a second handle on
// the file, as another process would, with the watch turned off: they wake
// nobody in this driver, and its worker finds them by polling.
func TestOtherHandleIsFoundByPolling(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, path := openFile(t, &gosksqlite.Options{WatchInterval: -1})
	b, err := gosksqlite.Open(ctx, path, nil)
	require.NoError(t, err)
	defer b.Close()

	sub, err := a.Subscribe(ctx, "poll")
	require.NoError(t, err)
	defer sub.Stop()
	qa, err := gosk.NewQueue[int](a, "poll", nil)
	require.NoError(t, err)
	qb, err := gosk.NewQueue[int](b, "poll", nil)
	require.NoError(t, err)
	_, err = qb.CreateMany(ctx, gosk.Items([]int{1, 2, 3}, nil))
	require.NoError(t, err)
	select {
	case <-sub.Wake:
		t.Fatal("a task created through another handle woke this driver's subscriber")
	default:
	}

	var completed atomic.Int64
	w, err := worker.New(qa, func(context.Context, *gosk.Task[int]) error { return nil }, &worker.Config{
		PollInterval: 20 * time.Millisecond,
		Retention:    worker.NoRetention,
		OnEvent: func(e worker.Event) {
			if e.Kind == worker.EventCompleted {
				completed.Add(1)
			}
		},
	})
	require.NoError(t, err)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- w.Run(runCtx) }()
	require.Eventually(t, func() bool { return completed.Load() == 3 }, 10*time.Second, 5*time.Millisecond)
	// More tasks while the worker is idle: found again by polling.
	_, err = qb.CreateMany(ctx, gosk.Items([]int{4, 5}, nil))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return completed.Load() == 5 }, 10*time.Second, 5*time.Millisecond,
		"tasks written by another handle are picked up by polling")
	cancel()
	require.NoError(t, <-done)
}

// TestWatchWakesOnOtherCommits subscribes on one driver and writes through
// other connections to its file: another driver (as another process
// would), and a transaction of the application's on the driver's own
// handle. Each wakes the subscriber through the watch.
func TestWatchWakesOnOtherCommits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, path := openFile(t, &gosksqlite.Options{WatchInterval: 5 * time.Millisecond})
	b, err := gosksqlite.Open(ctx, path, nil)
	require.NoError(t, err)
	defer b.Close()
	sub, err := a.Subscribe(ctx, "watched")
	require.NoError(t, err)
	defer sub.Stop()
	awaitWake := func(what string) {
		t.Helper()
		select {
		case <-sub.Wake:
		case <-time.After(10 * time.Second):
			t.Fatalf("no wake-up: %s", what)
		}
	}

	awaitWake("the watch's first reading")
	_, err = b.Create(ctx, []driver.NewTask{newTask("watched")})
	require.NoError(t, err)
	awaitWake("a task created through another handle")

	tx, err := a.DB().BeginTx(ctx, nil)
	require.NoError(t, err)
	_, err = a.Tx(tx).Create(ctx, []driver.NewTask{newTask("watched")})
	require.NoError(t, err)
	// Tx wakes at once, before the commit; drain that, then the
	// commit is seen by the watch.
	awaitWake("the transactional create")
	require.NoError(t, tx.Commit())
	awaitWake("the commit of the application's transaction")
}

// TestResumeWakesWorker runs a worker on a paused queue with a poll
// interval longer than the test: nothing runs while the queue is paused,
// and the task runs at once when the queue is resumed, through another
// handle on the file as an operator's process would: the worker's driver
// learns of the resume from its watch of the file's commits.
func TestResumeWakesWorker(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, path := openFile(t, nil)
	b, err := gosksqlite.Open(ctx, path, nil)
	require.NoError(t, err)
	defer b.Close()
	qa, err := gosk.NewQueue[int](a, "paused", nil)
	require.NoError(t, err)
	qb, err := gosk.NewQueue[int](b, "paused", nil)
	require.NoError(t, err)
	require.NoError(t, qb.Pause(ctx))
	paused, err := qa.Paused(ctx)
	require.NoError(t, err)
	require.True(t, paused, "a pause made through one handle is seen through another")

	var ran atomic.Int64
	w, err := worker.New(qa, func(context.Context, *gosk.Task[int]) error {
		ran.Add(1)
		return nil
	}, &worker.Config{PollInterval: time.Hour, Retention: worker.NoRetention})
	require.NoError(t, err)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- w.Run(runCtx) }()
	defer func() {
		cancel()
		require.NoError(t, <-done)
	}()

	id, err := qa.Create(ctx, 1, nil)
	require.NoError(t, err)
	for _, q := range []*gosk.Queue[int]{qa, qb} {
		n, err := q.Count(ctx)
		require.NoError(t, err)
		require.EqualValues(t, 1, n[gosk.StatePending], "a paused queue keeps its task pending")
	}
	require.Zero(t, ran.Load())

	require.NoError(t, qb.Resume(ctx))
	require.Eventually(t, func() bool {
		task, err := qa.Get(ctx, id)
		return err == nil && task.State == gosk.StateCompleted
	}, 10*time.Second, time.Millisecond, "the resume wakes the worker, which runs the task without waiting for its next poll")
	require.EqualValues(t, 1, ran.Load())
}
