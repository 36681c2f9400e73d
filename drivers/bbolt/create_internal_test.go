package bbolt

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/gosk/gosk/driver"
)

// A create that fails halfway through its batch, alone, in a group of
// creates or in the caller's transaction (which then commits), returns an
// error and stores nothing of its batch, counts included; the other
// creates of its group are not touched; and the same batch created again
// stores each task once.
func TestCreateFailingHalfwayStoresNothing(t *testing.T) {
	t.Parallel()
	injected := errors.New("injected fault")
	open := func(t *testing.T) *Driver {
		d, err := Open(context.Background(), filepath.Join(t.TempDir(), "tasks.db"), nil)
		require.NoError(t, err)
		t.Cleanup(func() { _ = d.Close() })
		_, err = d.Create(context.Background(), []driver.NewTask{{Queue: "atomic", Payload: []byte("holder"), MaxAttempts: 1, UniqueKey: "taken"}})
		require.NoError(t, err)
		return d
	}
	// batch is four tasks named by prefix: one with a unique key, one whose
	// key is held, and one in a queue of its own that no task had before.
	batch := func(prefix string) []driver.NewTask {
		return []driver.NewTask{
			{Queue: "atomic", Payload: []byte(prefix + "1"), MaxAttempts: 1},
			{Queue: "atomic", Payload: []byte(prefix + "2"), MaxAttempts: 1, UniqueKey: prefix},
			{Queue: "atomic", Payload: []byte(prefix + "dup"), MaxAttempts: 1, UniqueKey: "taken"},
			{Queue: "fresh-" + prefix, Payload: []byte(prefix + "3"), MaxAttempts: 1},
		}
	}
	// failOnce fails the first create of the batch named by prefix after
	// the writes of its task 1 (of the four).
	failOnce := func(prefix string) func([]driver.NewTask, int) error {
		var armed atomic.Bool
		armed.Store(true)
		return func(tasks []driver.NewTask, i int) error {
			if i == 1 && string(tasks[0].Payload) == prefix+"1" && armed.CompareAndSwap(true, false) {
				return injected
			}
			return nil
		}
	}
	// check compares what is stored with the batches named by prefixes,
	// each once.
	check := func(t *testing.T, d *Driver, msg string, prefixes ...string) {
		t.Helper()
		ctx := context.Background()
		want := map[string]int{"holder": 1}
		for _, p := range prefixes {
			want[p+"1"], want[p+"2"] = 1, 1
		}
		got := make(map[string]int)
		for _, q := range []string{"atomic", "fresh-a", "fresh-b", "fresh-c"} {
			recs, err := d.List(ctx, driver.ListParams{Queue: q})
			require.NoError(t, err)
			for _, r := range recs {
				got[string(r.Payload)]++
			}
			n, err := d.Count(ctx, q)
			require.NoError(t, err)
			require.Equal(t, int64(len(recs)), n[driver.StatePending], "%s: queue %s: the pending count agrees with the tasks stored", msg, q)
		}
		for _, p := range prefixes {
			want[p+"3"] = 1
		}
		require.Equal(t, want, got, msg)
	}

	t.Run("alone", func(t *testing.T) {
		t.Parallel()
		d := open(t)
		d.afterCreateTask = failOnce("a")
		_, err := d.Create(context.Background(), batch("a"))
		require.ErrorIs(t, err, injected)
		check(t, d, "a create that returned an error stored nothing of its batch")
		_, err = d.Create(context.Background(), batch("a"))
		require.NoError(t, err)
		check(t, d, "the batch created again stores each task once", "a")
	})
	t.Run("in a group", func(t *testing.T) {
		t.Parallel()
		d := open(t)
		d.afterCreateTask = failOnce("b")
		c := d.commit
		c.mu.Lock()
		c.leading = true // as if a transaction ran: the creates queue up
		c.mu.Unlock()
		errs := make([]error, 3)
		var wg sync.WaitGroup
		for i, p := range []string{"a", "b", "c"} {
			wg.Go(func() { _, errs[i] = d.Create(context.Background(), batch(p)) })
		}
		require.Eventually(t, func() bool {
			c.mu.Lock()
			defer c.mu.Unlock()
			return len(c.queue) == 3
		}, 10*time.Second, time.Millisecond, "every create queues while a transaction runs")
		c.mu.Lock()
		c.queue[0].done <- errLead // the oldest leads the three as one group
		c.mu.Unlock()
		wg.Wait()
		require.NoError(t, errs[0])
		require.ErrorIs(t, errs[1], injected)
		require.NoError(t, errs[2])
		check(t, d, "the failed create of a group stored nothing, the others all of theirs", "a", "c")
		_, err := d.Create(context.Background(), batch("b"))
		require.NoError(t, err)
		check(t, d, "the batch created again stores each task once", "a", "b", "c")
	})
	t.Run("Tx", func(t *testing.T) {
		t.Parallel()
		d := open(t)
		d.afterCreateTask = failOnce("a")
		create := func() error {
			var cerr error
			require.NoError(t, d.DB().Update(func(tx *bolt.Tx) error {
				_, cerr = d.Tx(tx).Create(context.Background(), batch("a"))
				return nil // committed whatever the create answered
			}))
			return cerr
		}
		require.ErrorIs(t, create(), injected)
		check(t, d, "a create that returned an error left nothing of its batch in the transaction")
		require.NoError(t, create())
		check(t, d, "the batch created again stores each task once", "a")
	})
}
