package redis_test

import (
	"testing"

	"github.com/gosk/gosk/driver"
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
