package sqlite_test

import (
	"context"
	"testing"
	"time"

	"github.com/gosk/gosk/driver"
)

// BenchmarkCreateConcurrent has 64 goroutines create one task per call, as
// the request handlers of a busy server would, on a file with the default
// (fully synced) commits, and reports tasks per second.
func BenchmarkCreateConcurrent(b *testing.B) {
	d, _ := openFile(b, nil)
	ctx := context.Background()
	b.SetParallelism(32) // 64 goroutines on 2 cores
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := d.Create(ctx, []driver.NewTask{newTask("q")}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "tasks/s")
}

// BenchmarkCreateLone has one goroutine create one task per call on a file
// with fully synced commits: the latency of a create that has nobody to
// share its commit with, which grouping must not lengthen.
func BenchmarkCreateLone(b *testing.B) {
	d, _ := openFile(b, nil)
	ctx := context.Background()
	for b.Loop() {
		if _, err := d.Create(ctx, []driver.NewTask{newTask("q")}); err != nil {
			b.Fatal(err)
		}
	}
}
