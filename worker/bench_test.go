package worker_test

import (
	"bytes"
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/drivers/memory"
	"github.com/gosk/gosk/worker"
)

// BenchmarkRun measures the worker's own overhead: b.N empty tasks, created
// beforehand, handled by one worker on the memory driver.
func BenchmarkRun(b *testing.B) {
	for _, conc := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("concurrency=%d", conc), func(b *testing.B) {
			d := memory.New(nil)
			defer d.Close()
			q, err := gosk.NewQueue[job](d, "bench", nil)
			if err != nil {
				b.Fatal(err)
			}
			benchRun(b, q, conc, 0, func(i int) job { return job{N: i} })
		})
	}
}

// BenchmarkProcess is the process phase of the comparison with other
// libraries (bench/harness) on the memory driver: b.N tasks of 100-byte
// payloads, stored with gosk.BytesCodec beforehand, handled by one worker
// with 16 handlers of a no-op handler, without Prefetch and with the
// comparison's Prefetch of 48. Its ns/op, cpu-ns/op (the process's CPU
// time, every goroutine's and the garbage collector's) and allocs/op are
// the worker's and the driver's cost per task.
func BenchmarkProcess(b *testing.B) {
	for _, prefetch := range []int{0, 48} {
		b.Run(fmt.Sprintf("prefetch=%d", prefetch), func(b *testing.B) {
			d := memory.New(nil)
			defer d.Close()
			q, err := gosk.NewQueue[[]byte](d, "bench", &gosk.QueueOptions{Codec: gosk.BytesCodec{}})
			if err != nil {
				b.Fatal(err)
			}
			payload := bytes.Repeat([]byte{'x'}, 100)
			benchRun(b, q, 16, prefetch, func(int) []byte { return payload })
		})
	}
}

// benchRun creates b.N tasks in q with payload(i), then times one worker
// with conc handlers of a no-op handler, and prefetch as its
// Config.Prefetch, until every task has ended.
func benchRun[T any](b *testing.B, q *gosk.Queue[T], conc, prefetch int, payload func(i int) T) {
	b.Helper()
	ctx := context.Background()
	batch := make([]T, 0, 1000)
	for i := 0; i < b.N; i++ {
		batch = append(batch, payload(i))
		if len(batch) == cap(batch) || i == b.N-1 {
			if _, err := q.CreateMany(ctx, gosk.Items(batch, nil)); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	var ended atomic.Int64
	w, err := worker.New(q, func(context.Context, *gosk.Task[T]) error { return nil }, &worker.Config{
		Concurrency: conc,
		Prefetch:    prefetch,
		Retention:   worker.NoRetention,
		OnEvent: func(worker.Event) {
			if ended.Add(1) == int64(b.N) {
				stop()
			}
		},
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	cpu0, cpuOK := cpuTime()
	if err := w.Run(runCtx); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "tasks/s")
	if cpu1, ok := cpuTime(); ok && cpuOK {
		b.ReportMetric(float64(cpu1-cpu0)/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkPickUpLatency measures the time from Create to the handler's
// start on an idle worker woken by the memory driver's notifier.
func BenchmarkPickUpLatency(b *testing.B) {
	d := memory.New(nil)
	defer d.Close()
	q, err := gosk.NewQueue[int64](d, "latency", nil)
	if err != nil {
		b.Fatal(err)
	}
	started := make(chan time.Duration)
	w, err := worker.New(q, func(_ context.Context, t *gosk.Task[int64]) error {
		started <- time.Since(time.Unix(0, t.Payload))
		return nil
	}, &worker.Config{PollInterval: time.Hour, Retention: worker.NoRetention})
	if err != nil {
		b.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	var total time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := q.Create(context.Background(), time.Now().UnixNano(), nil); err != nil {
			b.Fatal(err)
		}
		total += <-started
	}
	b.StopTimer()
	stop()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(total.Microseconds())/float64(b.N), "µs/pickup")
}
