package drivertest

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/worker"
)

// benchWorker measures the driver under package worker, the way users run
// it: one worker with 16 handlers that do nothing drains b.N tasks created
// beforehand, and the rate counts from the worker's start to the last
// stored completion.
func benchWorker(b *testing.B, h Harness, run string) {
	d, ctx, name := benchDriver(b, h, run)
	q, err := gosk.NewQueue[int](d, name, nil)
	if err != nil {
		b.Fatal(err)
	}
	batch := make([]int, 1000)
	for done := 0; done < b.N; done += len(batch) {
		if _, err := q.CreateMany(ctx, gosk.Items(batch[:min(len(batch), b.N-done)], nil)); err != nil {
			b.Fatalf("CreateMany: %v", err)
		}
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
	if err != nil {
		b.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	b.ResetTimer()
	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- w.Run(runCtx) }()
	select {
	case <-all:
	case err := <-done:
		b.Fatalf("worker stopped after %d of %d tasks: %v", completed.Load(), b.N, err)
	}
	reportRate(b, start, "tasks/s")
	cancel()
	if err := <-done; err != nil {
		b.Fatalf("worker: %v", err)
	}
}

// benchPickup measures how long a task waits between Create returning and
// its handler starting, one task at a time, with an idle worker whose poll
// interval (a minute) is far longer than any wake-up: with a Notifier the
// figure is the wake-up latency, without one it is the poll interval.
func benchPickup(b *testing.B, h Harness, run string) {
	d, ctx, name := benchDriver(b, h, run)
	q, err := gosk.NewQueue[int](d, name, nil)
	if err != nil {
		b.Fatal(err)
	}
	started := make(chan time.Time, 1)
	w, err := worker.New(q, func(context.Context, *gosk.Task[int]) error {
		started <- time.Now()
		return nil
	}, &worker.Config{Concurrency: 1, PollInterval: time.Minute, Retention: worker.NoRetention})
	if err != nil {
		b.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	// A task created before the worker starts is taken by its first claim,
	// which comes after it has subscribed: once it has run, wake-ups work.
	if _, err := q.Create(ctx, -1, nil); err != nil {
		b.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- w.Run(runCtx) }()
	<-started
	var total time.Duration
	b.ResetTimer()
	for i := range b.N {
		at := time.Now()
		if _, err := q.Create(ctx, i, nil); err != nil {
			b.Fatal(err)
		}
		total += (<-started).Sub(at)
	}
	b.StopTimer()
	cancel()
	if err := <-done; err != nil {
		b.Fatalf("worker: %v", err)
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/pickup")
}
