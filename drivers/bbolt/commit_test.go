package bbolt

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"
)

// TestGroupedCommitIsolatesFailures runs many concurrent writes through a
// grouped committer, every fifth of which fails (one of them by
// panicking): each failed write gets its own error and leaves nothing
// behind, every other write is committed exactly once, and every caller
// returns.
func TestGroupedCommitIsolatesFailures(t *testing.T) {
	t.Parallel()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "c.db"), 0o600, nil)
	require.NoError(t, err)
	defer db.Close()
	require.NoError(t, db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucket([]byte("b"))
		return err
	}))
	c := &committer{db: db, mode: CommitGrouped}
	ctx := context.Background()
	const n = 200
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs[i] = c.do(ctx, func(tx *bolt.Tx) error {
				b := tx.Bucket([]byte("b"))
				// Count how often this write was applied in the committed
				// state: a rerun after a rollback starts from scratch.
				k := binary.BigEndian.AppendUint64(nil, uint64(i))
				if err := b.Put(k, []byte("x")); err != nil {
					return err
				}
				switch {
				case i == 7:
					panic("broken write")
				case i%5 == 0:
					return fmt.Errorf("write %d fails", i)
				}
				return nil
			})
		})
	}
	wg.Wait()
	require.NoError(t, db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("b"))
		for i := range n {
			stored := b.Get(binary.BigEndian.AppendUint64(nil, uint64(i))) != nil
			if i == 7 || i%5 == 0 {
				require.Error(t, errs[i], "write %d", i)
				require.False(t, stored, "failed write %d left its change behind", i)
			} else {
				require.NoError(t, errs[i], "write %d", i)
				require.True(t, stored, "write %d is missing", i)
			}
		}
		return nil
	}))
	require.ErrorContains(t, errs[7], "panic")
}

// TestGroupedCommitContext: a write whose context is done before its turn
// is not run, and returns the context's error.
func TestGroupedCommitContext(t *testing.T) {
	t.Parallel()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "c.db"), 0o600, nil)
	require.NoError(t, err)
	defer db.Close()
	c := &committer{db: db, mode: CommitGrouped}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	err = c.do(ctx, func(*bolt.Tx) error { ran = true; return nil })
	require.True(t, errors.Is(err, context.Canceled))
	require.False(t, ran)
}

func TestSchemaVersionMatchesMigrations(t *testing.T) {
	require.Len(t, migrations, SchemaVersion, "one migration per schema version")
}
