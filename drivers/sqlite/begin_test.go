package sqlite_test

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
)

// TestWriteCutShortByItsContextLeavesNoTransactionOpen gives writes
// contexts that end around the moment their BEGIN runs. The SQLite driver
// underneath reports a context's error whenever the context ended during a
// statement, even one that succeeded, so a BEGIN IMMEDIATE that took the
// write lock could look failed; a connection left inside that transaction
// held the file's write lock for good, and every writer of every process
// waited on it (found by make soak, which stalled). After each cut-short
// write, a plain write must go through.
func TestWriteCutShortByItsContextLeavesNoTransactionOpen(t *testing.T) {
	t.Parallel()
	d, _ := openFile(t, nil)
	ctx := context.Background()
	task := []driver.NewTask{{Queue: "q", Payload: []byte("x"), MaxAttempts: 1}}
	cut := 0
	for i := range 250 {
		short, cancel := context.WithTimeout(ctx, time.Duration(rand.N(200))*time.Microsecond)
		if _, err := d.Create(short, task); err != nil {
			cut++
		}
		cancel()
		_, err := d.Create(ctx, task)
		require.NoError(t, err, "write %d after a write cut short by its context", i)
	}
	t.Logf("%d of 250 writes were cut short", cut)
}
