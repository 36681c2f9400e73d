package drivertest

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/gosk/gosk/driver"
)

// RunBenchmarks measures the driver that h makes with the same code for
// every driver: creating tasks in batches of 100, a claim-and-complete
// cycle with batches of 1 and 16 (and of 16 with 10 KiB payloads, which a
// store that copies payloads at every change pays for), pinging 16 leases
// at once, and, under
// package worker as users run it, draining tasks with 16 handlers
// (Worker/Concurrency16) and the wait from create to handler start of an
// idle worker (Worker/Pickup). Each benchmark reports tasks/s (leases/s
// for pings, ms/pickup for the wait) besides ns/op, where one op is one
// task (or one lease pinged).
func RunBenchmarks(b *testing.B, h Harness) {
	if h.New == nil {
		b.Fatal("drivertest: Harness.New is nil; it must return a fresh, empty driver")
	}
	run := runID()
	b.Run("CreateBatch100", func(b *testing.B) {
		d, ctx, q := benchDriver(b, h, run)
		batch := make([]driver.NewTask, 100)
		for i := range batch {
			batch[i] = driver.NewTask{Queue: q, Payload: []byte(`{"n":` + strconv.Itoa(i) + `}`), MaxAttempts: 3}
		}
		b.ResetTimer()
		start := time.Now()
		for done := 0; done < b.N; done += len(batch) {
			if _, err := d.Create(ctx, batch[:min(len(batch), b.N-done)]); err != nil {
				b.Fatalf("Create: %v", err)
			}
		}
		reportRate(b, start, "tasks/s")
	})
	for _, c := range []struct {
		size    int
		payload int    // bytes; 0: a 2-byte one
		suffix  string // of the benchmark's name
	}{{1, 0, ""}, {16, 0, ""}, {16, 10 << 10, "/Payload10KiB"}} {
		size := c.size
		b.Run(fmt.Sprintf("ClaimComplete/Batch%d%s", size, c.suffix), func(b *testing.B) {
			d, ctx, q := benchDriver(b, h, run)
			fillSized(ctx, b, d, q, b.N, c.payload)
			outcomes := make([]driver.Outcome, 0, size)
			b.ResetTimer()
			start := time.Now()
			for done := 0; done < b.N; {
				got, err := d.Claim(ctx, driver.ClaimParams{Queue: q, Limit: size, Rule: driver.Fifo, Lease: longLease})
				if err != nil {
					b.Fatalf("Claim: %v", err)
				}
				if len(got) == 0 {
					b.Fatalf("Claim found nothing after %d of %d tasks", done, b.N)
				}
				outcomes = outcomes[:0]
				for _, c := range got {
					outcomes = append(outcomes, driver.Outcome{Lease: c.Lease, Kind: driver.Complete})
				}
				errs, err := d.Finish(ctx, outcomes)
				if err != nil {
					b.Fatalf("Finish: %v", err)
				}
				for _, e := range errs {
					if e != nil {
						b.Fatalf("Finish: %v", e)
					}
				}
				done += len(got)
			}
			reportRate(b, start, "tasks/s")
		})
	}
	b.Run("Ping16", func(b *testing.B) {
		d, ctx, q := benchDriver(b, h, run)
		fill(ctx, b, d, q, 16)
		got, err := d.Claim(ctx, driver.ClaimParams{Queue: q, Limit: 16, Rule: driver.Fifo, Lease: longLease})
		if err != nil || len(got) != 16 {
			b.Fatalf("Claim: %d tasks, %v", len(got), err)
		}
		leases := make([]driver.Lease, len(got))
		for i, c := range got {
			leases[i] = c.Lease
		}
		b.ResetTimer()
		start := time.Now()
		for done := 0; done < b.N; done += len(leases) {
			if _, err := d.Ping(ctx, leases, longLease); err != nil {
				b.Fatalf("Ping: %v", err)
			}
		}
		reportRate(b, start, "leases/s")
	})
	b.Run("Worker/Concurrency16", func(b *testing.B) { benchWorker(b, h, run) })
	b.Run("Worker/Pickup", func(b *testing.B) { benchPickup(b, h, run) })
}

// benchDriver returns a fresh driver, closed when b ends, a context and a
// queue name.
func benchDriver(b *testing.B, h Harness, run string) (driver.Driver, context.Context, string) {
	b.Helper()
	d := h.New(b)
	if d == nil {
		b.Fatal("Harness.New returned a nil driver")
	}
	b.Cleanup(func() { _ = d.Close() })
	return d, b.Context(), "bench-" + run
}

// fill creates n tasks in q, in batches of 1000, with the timer stopped.
func fill(ctx context.Context, b *testing.B, d driver.Driver, q string, n int) {
	b.Helper()
	fillSized(ctx, b, d, q, n, 0)
}

// fillSized is fill with payloads of size bytes (0: the 2-byte "{}").
func fillSized(ctx context.Context, b *testing.B, d driver.Driver, q string, n, size int) {
	b.Helper()
	b.StopTimer()
	defer b.StartTimer()
	payload := []byte("{}")
	if size > 0 {
		payload = bytes.Repeat([]byte{'x'}, size)
	}
	batch := make([]driver.NewTask, 0, 1000)
	for done := 0; done < n; done += len(batch) {
		batch = batch[:0]
		for i := 0; i < min(cap(batch), n-done); i++ {
			batch = append(batch, driver.NewTask{Queue: q, Payload: payload, MaxAttempts: 3})
		}
		if _, err := d.Create(ctx, batch); err != nil {
			b.Fatalf("Create: %v", err)
		}
	}
}

// reportRate reports b.N items over the time since start as unit.
func reportRate(b *testing.B, start time.Time, unit string) {
	if s := time.Since(start).Seconds(); s > 0 {
		b.ReportMetric(float64(b.N)/s, unit)
	}
}
