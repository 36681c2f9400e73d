package postgres_test

import (
	"testing"

	"github.com/gosk/gosk/drivers/postgres"
	"github.com/gosk/gosk/drivertest"
)

// TestDriverLazy runs the conformance suite against drivers made with
// Options.Lazy, whose schema is migrated by their first call, whatever
// that call is (a transactional create included), instead of by New.
func TestDriverLazy(t *testing.T) {
	t.Parallel()
	drivertest.Run(t, harness(postgres.Options{Lazy: true}))
}
