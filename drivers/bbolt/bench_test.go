package bbolt_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/driver"
	goskbbolt "github.com/gosk/gosk/drivers/bbolt"
	"github.com/gosk/gosk/worker"
)

// commitCases are the ways of committing that the benchmarks compare.
// "naive" is one fsync per task: its own transaction for every call, and
// a worker that stores each outcome in its own call.
var commitCases = []struct {
	name        string
	mode        goskbbolt.CommitMode
	finishBatch int // worker.Config.FinishBatch; 0 is the default
}{
	{"naive", goskbbolt.CommitEach, 1},
	{"each", goskbbolt.CommitEach, 0},
	{"bolt-batch", goskbbolt.CommitBoltBatch, 0},
	{"grouped", goskbbolt.CommitGrouped, 0},
}

// BenchmarkWorker processes b.N tasks, created beforehand, through
// workers of 16 handlers that do nothing, and reports tasks per second
// from the workers' start to the last outcome stored: workers=1 is one
// worker, workers=4 is four workers sharing the driver (four services in
// one binary, say), where commits have company. Run it with a fixed count,
// for example:
//
//	go test -run '^$' -bench BenchmarkWorker -benchtime 20000x ./drivers/bbolt/
func BenchmarkWorker(b *testing.B) {
	for _, c := range commitCases {
		for _, workers := range []int{1, 4} {
			b.Run(fmt.Sprintf("%s/workers=%d", c.name, workers), func(b *testing.B) {
				benchWorkers(b, c.mode, c.finishBatch, workers)
			})
		}
	}
}

func benchWorkers(b *testing.B, mode goskbbolt.CommitMode, finishBatch, workers int) {
	d := open(b, &goskbbolt.Options{Commit: mode})
	q, err := gosk.NewQueue[int](d, "bench", nil)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for start := 0; start < b.N; start += 1000 {
		vs := make([]int, min(1000, b.N-start))
		if _, err := q.CreateMany(ctx, gosk.Items(vs, nil)); err != nil {
			b.Fatal(err)
		}
	}
	var done atomic.Int64
	all := make(chan struct{})
	cfg := &worker.Config{
		Concurrency: 16,
		FinishBatch: finishBatch,
		Retention:   worker.NoRetention,
		OnEvent: func(e worker.Event) {
			if e.Kind != worker.EventCompleted {
				b.Errorf("task %d: %v: %v", e.Task.ID, e.Kind, e.Err)
			}
			if done.Add(1) == int64(b.N) {
				close(all)
			}
		},
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	ran := make(chan error, workers)
	b.ResetTimer()
	start := time.Now()
	for range workers {
		w, err := worker.New(q, func(context.Context, *gosk.Task[int]) error { return nil }, cfg)
		if err != nil {
			b.Fatal(err)
		}
		go func() { ran <- w.Run(runCtx) }()
	}
	guard := time.NewTimer(5 * time.Minute)
	defer guard.Stop()
	select {
	case <-all:
	case err := <-ran:
		b.Fatalf("worker stopped early: %v", err)
	case <-guard.C:
		counts, err := d.Count(ctx, "bench")
		b.Fatalf("stuck: %d of %d tasks done; store counts %v (%v)", done.Load(), b.N, counts, err)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	stop()
	for range workers {
		if err := <-ran; err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "tasks/s")
}

// BenchmarkCreateConcurrent creates b.N tasks one per call from 16
// goroutines: the case where commit grouping, not the caller, makes the
// batches.
func BenchmarkCreateConcurrent(b *testing.B) {
	for _, c := range commitCases[1:] {
		b.Run(c.name, func(b *testing.B) {
			d := open(b, &goskbbolt.Options{Commit: c.mode})
			ctx := context.Background()
			b.SetParallelism(16)
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := d.Create(ctx, []driver.NewTask{{Queue: "bench", Payload: []byte("{}"), MaxAttempts: 3}}); err != nil {
						panic(fmt.Sprint("create: ", err))
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "tasks/s")
		})
	}
}
