package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/gosk/gosk/driver"
)

// BenchmarkCreateParallel creates one task per call from 8 goroutines
// per core, as applications enqueue from request handlers; one op is one
// task. With a pool of 8 connections, concurrent calls either each take a
// connection and a commit of their own or share them.
func BenchmarkCreateParallel(b *testing.B) {
	d := newDriverConns(b, 8)
	ctx := context.Background()
	payload := make([]byte, 100)
	b.SetParallelism(4)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		batch := []driver.NewTask{{Queue: "bench", Payload: payload, MaxAttempts: 3}}
		for pb.Next() {
			res, err := d.Create(ctx, batch)
			if err != nil || res[0].Err != nil {
				b.Errorf("Create: %v %v", err, res)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "tasks/s")
}

// BenchmarkCreateOne creates one task per call from one goroutine: a lone
// call, which grouping must not slow down.
func BenchmarkCreateOne(b *testing.B) {
	d := newDriverConns(b, 8)
	ctx := context.Background()
	batch := []driver.NewTask{{Queue: "bench", Payload: make([]byte, 100), MaxAttempts: 3}}
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		if _, err := d.Create(ctx, batch); err != nil {
			b.Fatalf("Create: %v", err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "tasks/s")
}
