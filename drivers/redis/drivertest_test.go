package redis_test

import (
	"context"
	"sync"
	"testing"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
	goskredis "github.com/gosk/gosk/drivers/redis"
	"github.com/gosk/gosk/drivertest"
)

// harness makes each driver on client under a prefix of its own; Reopen
// makes another driver on the same prefix.
func harness(client goredis.UniversalClient) drivertest.Harness {
	var prefixes sync.Map // driver.Driver -> string
	return drivertest.Harness{
		New: func(t testing.TB) driver.Driver {
			prefix := testPrefix()
			d := newDriver(t, client, &goskredis.Options{Prefix: prefix})
			prefixes.Store(driver.Driver(d), prefix)
			return d
		},
		Reopen: func(t testing.TB, d driver.Driver) driver.Driver {
			prefix, ok := prefixes.Load(d)
			require.True(t, ok, "driver was not made by this harness")
			other, err := goskredis.New(context.Background(), client, &goskredis.Options{Prefix: prefix.(string)})
			require.NoError(t, err)
			return other
		},
		Tx: txHarness(client),
	}
}

// TestDriver runs the conformance suite against a single Redis server.
func TestDriver(t *testing.T) {
	drivertest.Run(t, harness(singleClient(t)))
}

// TestDriverCluster runs the conformance suite against a Redis Cluster of
// three masters started for this package.
func TestDriverCluster(t *testing.T) {
	drivertest.Run(t, harness(clusterClient(t)))
}
