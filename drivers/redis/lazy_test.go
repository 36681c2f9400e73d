package redis_test

import (
	"testing"

	"github.com/gosk/gosk/driver"
	goskredis "github.com/gosk/gosk/drivers/redis"
	"github.com/gosk/gosk/drivertest"
)

// TestDriverLazy runs the conformance suite against drivers made with
// Options.Lazy, whose key layout is migrated by their first call, whatever
// that call is (a transactional create included), instead of by New.
func TestDriverLazy(t *testing.T) {
	t.Parallel()
	client := singleClient(t)
	drivertest.Run(t, drivertest.Harness{
		New:   func(t testing.TB) driver.Driver { return newDriver(t, client, &goskredis.Options{Lazy: true}) },
		Tx:    txHarness(client),
		Again: againHarness(client),
	})
}
