package bbolt_test

import (
	"testing"

	"github.com/gosk/gosk/driver"
	goskbbolt "github.com/gosk/gosk/drivers/bbolt"
	"github.com/gosk/gosk/internal/faulttest"
)

// TestCloseLeavesNoFileOpen: a worker that has run and stopped, and a
// driver that Open opened and Close closed, leave no file descriptor open.
// It does not run in parallel, since it compares the process's open files
// before and after.
func TestCloseLeavesNoFileOpen(t *testing.T) {
	faulttest.CloseLeavesNoFileOpen(t, func(path string) (driver.Driver, error) {
		return goskbbolt.Open(t.Context(), path, nil)
	})
}
