package sqlite_test

import (
	"context"
	"testing"

	"github.com/gosk/gosk/driver"
	gosksqlite "github.com/gosk/gosk/drivers/sqlite"
	"github.com/gosk/gosk/internal/faulttest"
)

// TestCloseLeavesNoFileOpen: a worker that has run and stopped, and a
// driver that Open opened and Close closed, leave no file descriptor open:
// not the database, not its WAL or shared-memory file, nothing else. It
// does not run in parallel, since it compares the process's open files
// before and after.
func TestCloseLeavesNoFileOpen(t *testing.T) {
	faulttest.CloseLeavesNoFileOpen(t, func(path string) (driver.Driver, error) {
		return gosksqlite.Open(context.Background(), path, nil)
	})
}
