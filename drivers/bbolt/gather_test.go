package bbolt

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"
)

// gatherCommitter returns a grouped committer on a fresh file whose last
// transaction answered answered calls and took took, just now.
func gatherCommitter(t *testing.T, answered int, took time.Duration) *committer {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "c.db"), 0o600, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	c := &committer{db: db, mode: CommitGrouped}
	c.last.answered, c.last.took, c.last.at = answered, took, time.Now()
	return c
}

// TestGroupedCommitGathersAnsweredCallers: after a transaction that
// answered three calls, the next transaction waits for three calls to come
// in, and commits them together, without waiting out its limit (a
// quarter of an hour here).
func TestGroupedCommitGathersAnsweredCallers(t *testing.T) {
	t.Parallel()
	c := gatherCommitter(t, 3, time.Hour)
	ids := make([]int, 3)
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() {
			errs[i] = c.do(context.Background(), func(tx *bolt.Tx) error {
				ids[i] = tx.ID()
				return nil
			})
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("the calls did not return once all three had come in")
	}
	for _, err := range errs {
		require.NoError(t, err)
	}
	require.Equal(t, ids[0], ids[1], "the calls share one transaction")
	require.Equal(t, ids[0], ids[2], "the calls share one transaction")
}

// TestGroupedCommitGatherIsBounded: a call that comes alone after a
// shared transaction waits at most a quarter of that transaction's
// duration for company, and then commits alone.
func TestGroupedCommitGatherIsBounded(t *testing.T) {
	t.Parallel()
	const took = 80 * time.Millisecond
	c := gatherCommitter(t, 4, took)
	start := time.Now()
	ran := 0
	require.NoError(t, c.do(context.Background(), func(*bolt.Tx) error { ran++; return nil }))
	require.Equal(t, 1, ran)
	require.GreaterOrEqual(t, time.Since(start), took/4-time.Millisecond, "the call waited for the callers of the shared transaction")
	require.Equal(t, 1, c.last.answered, "the lone call's transaction answered it alone")
}

// TestGroupedCommitLoneCallerDoesNotWait: a caller writing alone, one call
// after another, is its own company and never waits (a wait would last a
// quarter of an hour here).
func TestGroupedCommitLoneCallerDoesNotWait(t *testing.T) {
	t.Parallel()
	c := gatherCommitter(t, 1, time.Hour)
	done := make(chan error, 1)
	go func() {
		var err error
		for i := 0; i < 20 && err == nil; i++ {
			err = c.do(context.Background(), func(*bolt.Tx) error { return nil })
			c.mu.Lock()
			c.last.took = time.Hour
			c.mu.Unlock()
		}
		done <- err
	}()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(time.Minute):
		t.Fatal("a lone caller waited for company")
	}
}
