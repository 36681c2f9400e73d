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
	_, err = qa.CreateMany(ctx, values, nil)
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

// BenchmarkWorker16 processes b.N tasks from a file through one worker
// with 16 handlers that do nothing, and reports tasks per second from the
// start of the worker to the last stored completion, at each sync level.
func BenchmarkWorker16(b *testing.B) {
	for _, sync := range []gosksqlite.Sync{gosksqlite.SyncFull, gosksqlite.SyncNormal} {
		b.Run("Sync"+string(sync), func(b *testing.B) {
			d, _ := openFile(b, &gosksqlite.Options{Sync: sync})
			q, err := gosk.NewQueue[int](d, "bench", nil)
			require.NoError(b, err)
			ctx := context.Background()
			batch := make([]int, 1000)
			for done := 0; done < b.N; done += len(batch) {
				_, err := q.CreateMany(ctx, batch[:min(len(batch), b.N-done)], nil)
				require.NoError(b, err)
			}
			var completed atomic.Int64
			all := make(chan struct{})
			w, err := worker.New(q, func(context.Context, *gosk.Task[int]) error { return nil }, &worker.Config{
				Concurrency: 16,
				Retention:   worker.NoRetention,
				OnEvent: func(e worker.Event) {
					if e.Kind == worker.EventCompleted && completed.Add(1) == int64(b.N) {
						close(all)
					}
				},
			})
			require.NoError(b, err)
			runCtx, cancel := context.WithCancel(ctx)
			defer cancel()
			b.ResetTimer()
			start := time.Now()
			done := make(chan error, 1)
			go func() { done <- w.Run(runCtx) }()
			<-all
			elapsed := time.Since(start)
			b.StopTimer()
			cancel()
			require.NoError(b, <-done)
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "tasks/s")
		})
	}
}
