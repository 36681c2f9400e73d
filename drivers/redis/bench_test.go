package redis_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivertest"
	"github.com/gosk/gosk/worker"
)

// BenchmarkDriver runs drivertest's benchmarks against a single server.
func BenchmarkDriver(b *testing.B) {
	client := singleClient(b)
	drivertest.RunBenchmarks(b, drivertest.Harness{
		New: func(t testing.TB) driver.Driver { return newDriver(t, client, nil) },
		Tx:  txHarness(client),
	})
}

// BenchmarkWorker16 processes b.N tasks through one worker with 16
// handlers that do nothing and reports tasks per second, from the start of
// the worker to the last stored completion; on a single server and on the
// test cluster.
func BenchmarkWorker16(b *testing.B) {
	b.Run("Single", func(b *testing.B) { benchWorker(b, singleClient(b)) })
	b.Run("Cluster", func(b *testing.B) { benchWorker(b, clusterClient(b)) })
}

func benchWorker(b *testing.B, client goredis.UniversalClient) {
	d := newDriver(b, client, nil)
	defer d.Close()
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
}

// BenchmarkNotifyLatency measures enqueue-to-start latency with an idle
// worker that polls only once a minute, so every pick-up comes through the
// pub/sub wake-up: one task at a time, from before Create to the handler's
// start.
func BenchmarkNotifyLatency(b *testing.B) {
	d := newDriver(b, singleClient(b), nil)
	defer d.Close()
	q, err := gosk.NewQueue[int](d, "latency", nil)
	require.NoError(b, err)
	started := make(chan time.Time, 1)
	w, err := worker.New(q, func(context.Context, *gosk.Task[int]) error {
		started <- time.Now()
		return nil
	}, &worker.Config{Concurrency: 16, PollInterval: time.Minute, Retention: worker.NoRetention})
	require.NoError(b, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// A task created before the worker starts is taken by its first claim,
	// which comes after it has subscribed: once it has run, wake-ups work.
	_, err = q.Create(ctx, -1, nil)
	require.NoError(b, err)
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	<-started
	var total time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		at := time.Now()
		_, err := q.Create(ctx, i, nil)
		require.NoError(b, err)
		total += (<-started).Sub(at)
	}
	b.StopTimer()
	cancel()
	require.NoError(b, <-done)
	b.ReportMetric(float64(total.Microseconds())/float64(b.N)/1000, "ms/start")
}
