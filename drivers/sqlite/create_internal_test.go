package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
)

// A create that fails after writing its tasks, alone, in a group of
// creates, or with its group's COMMIT, returns an error and stores nothing
// of its batch; the other creates of its group are not touched by its
// failure; and the same batch created again stores each task once.
func TestCreateFailingBeforeCommitStoresNothing(t *testing.T) {
	t.Parallel()
	injected := errors.New("injected fault")
	open := func(t *testing.T) *Driver {
		d, err := Open(context.Background(), filepath.Join(t.TempDir(), "tasks.db"), nil)
		require.NoError(t, err)
		t.Cleanup(func() { _ = d.Close() })
		return d
	}
	// batch is a batch of three tasks named by prefix, one of them with a
	// unique key and one whose key is held by a stored task.
	batch := func(prefix string) []driver.NewTask {
		return []driver.NewTask{
			{Queue: "atomic", Payload: []byte(prefix + "1"), MaxAttempts: 1},
			{Queue: "atomic", Payload: []byte(prefix + "2"), MaxAttempts: 1, UniqueKey: prefix},
			{Queue: "atomic", Payload: []byte(prefix + "dup"), MaxAttempts: 1, UniqueKey: "taken"},
		}
	}
	setup := func(t *testing.T, d *Driver) {
		_, err := d.Create(context.Background(), []driver.NewTask{{Queue: "atomic", Payload: []byte("holder"), MaxAttempts: 1, UniqueKey: "taken"}})
		require.NoError(t, err)
	}
	stored := func(t *testing.T, d *Driver) map[string]int {
		recs, err := d.List(context.Background(), driver.ListParams{Queue: "atomic"})
		require.NoError(t, err)
		n := make(map[string]int)
		for _, r := range recs {
			n[string(r.Payload)]++
		}
		return n
	}
	// failOnce fails the first create of the batch named by prefix.
	failOnce := func(prefix string) func([]driver.NewTask) error {
		var armed atomic.Bool
		armed.Store(true)
		return func(tasks []driver.NewTask) error {
			if string(tasks[0].Payload) == prefix+"1" && armed.CompareAndSwap(true, false) {
				return injected
			}
			return nil
		}
	}
	// grouped runs one create per prefix as one group and returns their
	// errors.
	grouped := func(t *testing.T, d *Driver, prefixes ...string) []error {
		errs := make([]error, len(prefixes))
		d.writer <- struct{}{} // hold the token: the creates queue up
		var wg sync.WaitGroup
		for i, p := range prefixes {
			wg.Go(func() { _, errs[i] = d.Create(context.Background(), batch(p)) })
		}
		require.Eventually(t, func() bool {
			d.pmu.Lock()
			defer d.pmu.Unlock()
			return len(d.pending) == len(prefixes)
		}, 10*time.Second, time.Millisecond, "every create queues while the token is held")
		<-d.writer
		wg.Wait()
		return errs
	}
	once := func(prefixes ...string) map[string]int {
		want := map[string]int{"holder": 1}
		for _, p := range prefixes {
			want[p+"1"], want[p+"2"] = 1, 1
		}
		return want
	}

	t.Run("alone", func(t *testing.T) {
		t.Parallel()
		d := open(t)
		setup(t, d)
		d.afterCreateInsert = failOnce("a")
		_, err := d.Create(context.Background(), batch("a"))
		require.ErrorIs(t, err, injected)
		require.Equal(t, once(), stored(t, d), "a create that returned an error stored nothing of its batch")
		_, err = d.Create(context.Background(), batch("a"))
		require.NoError(t, err)
		require.Equal(t, once("a"), stored(t, d), "the batch created again stores each task once")
	})
	t.Run("in a group", func(t *testing.T) {
		t.Parallel()
		d := open(t)
		setup(t, d)
		d.afterCreateInsert = failOnce("b")
		errs := grouped(t, d, "a", "b", "c")
		require.NoError(t, errs[0])
		require.ErrorIs(t, errs[1], injected)
		require.NoError(t, errs[2])
		require.Equal(t, once("a", "c"), stored(t, d),
			"the failed create of a group stored nothing, the others all of theirs")
		_, err := d.Create(context.Background(), batch("b"))
		require.NoError(t, err)
		require.Equal(t, once("a", "b", "c"), stored(t, d), "the batch created again stores each task once")
	})
	t.Run("group commit fails", func(t *testing.T) {
		t.Parallel()
		d := open(t)
		setup(t, d)
		var armed atomic.Bool
		armed.Store(true)
		d.beforeGroupCommit = func() error {
			if armed.CompareAndSwap(true, false) {
				return injected
			}
			return nil
		}
		errs := grouped(t, d, "a", "b", "c")
		for i, err := range errs {
			require.ErrorIs(t, err, injected, "create %d of a group whose commit failed", i)
		}
		require.Equal(t, once(), stored(t, d), "a group whose commit failed stored nothing")
		errs = grouped(t, d, "a", "b", "c")
		for i, err := range errs {
			require.NoError(t, err, "create %d again", i)
		}
		require.Equal(t, once("a", "b", "c"), stored(t, d), "the batches created again store each task once")
	})
	t.Run("Tx", func(t *testing.T) {
		t.Parallel()
		d := open(t)
		setup(t, d)
		d.afterCreateInsert = failOnce("a")
		create := func() error {
			tx, err := d.db.BeginTx(context.Background(), nil)
			require.NoError(t, err)
			_, err = d.Tx(tx).Create(context.Background(), batch("a"))
			require.NoError(t, tx.Commit(), "the caller commits whatever the create answered")
			return err
		}
		require.ErrorIs(t, create(), injected)
		require.Equal(t, once(), stored(t, d), "a create that returned an error left nothing of its batch in the transaction")
		require.NoError(t, create())
		require.Equal(t, once("a"), stored(t, d), "the batch created again stores each task once")
	})
}
