package redis_test

import (
	"bytes"
	"testing"

	"github.com/gosk/gosk/driver"
	goskredis "github.com/gosk/gosk/drivers/redis"
	"github.com/gosk/gosk/drivertest"
)

// BenchmarkDriver runs drivertest's benchmarks against a single server.
func BenchmarkDriver(b *testing.B) {
	client := singleClient(b)
	drivertest.RunBenchmarks(b, drivertest.Harness{
		New: func(t testing.TB) driver.Driver { return newDriver(t, client, nil) },
		Tx:  txHarness(client),
	})
}

// BenchmarkDriverCluster runs drivertest's benchmarks against the test
// cluster.
func BenchmarkDriverCluster(b *testing.B) {
	client := clusterClient(b)
	drivertest.RunBenchmarks(b, drivertest.Harness{
		New: func(t testing.TB) driver.Driver { return newDriver(t, client, nil) },
	})
}

// BenchmarkCreateParallel creates one task per call from 8 goroutines per
// core, with and without sharing round trips between concurrent calls.
func BenchmarkCreateParallel(b *testing.B) {
	client := singleClient(b)
	payload := bytes.Repeat([]byte("x"), 100)
	for _, on := range []bool{false, true} {
		name := "Serial"
		if on {
			name = "Coalesced"
		}
		b.Run(name, func(b *testing.B) {
			d := newDriver(b, client, nil)
			defer d.Close()
			goskredis.CoalesceCreates(d, on)
			ctx := b.Context()
			b.SetParallelism(8)
			b.RunParallel(func(pb *testing.PB) {
				tasks := []driver.NewTask{{Queue: "bench", Payload: payload, MaxAttempts: 1}}
				for pb.Next() {
					if _, err := d.Create(ctx, tasks); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
