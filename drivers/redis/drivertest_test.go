package redis_test

import (
	"testing"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivertest"
)

// TestDriver runs the conformance suite against a single Redis server.
func TestDriver(t *testing.T) {
	client := singleClient(t)
	drivertest.Run(t, drivertest.Harness{
		New:   func(t testing.TB) driver.Driver { return newDriver(t, client, nil) },
		Tx:    txHarness(client),
		Again: againHarness(client),
	})
}

// TestDriverCluster runs the conformance suite against a Redis Cluster of
// three masters started for this package.
func TestDriverCluster(t *testing.T) {
	client := clusterClient(t)
	drivertest.Run(t, drivertest.Harness{
		New:   func(t testing.TB) driver.Driver { return newDriver(t, client, nil) },
		Tx:    txHarness(client),
		Again: againHarness(client),
	})
}
