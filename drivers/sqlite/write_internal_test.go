package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
)

// TestGroupCommitIsolatesFailures queues writes while the writer token is
// held, so that they run as one group, and checks that a request whose fn
// fails is undone alone, that a request whose context ends before its turn
// is not run, and that each gets its own result.
func TestGroupCommitIsolatesFailures(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, err := Open(ctx, filepath.Join(t.TempDir(), "tasks.db"), nil)
	require.NoError(t, err)
	defer d.Close()

	const n = 12
	boom := errors.New("boom")
	d.writer <- struct{}{} // hold the token: requests queue up
	ids := make([]int64, n)
	errs := make([]error, n)
	cancelled, cancel := context.WithCancel(ctx)
	midway, cancelMidway := context.WithCancel(ctx)
	defer cancelMidway()
	var wg sync.WaitGroup
	for i := range n {
		callCtx := ctx
		switch i {
		case n - 1:
			callCtx = cancelled
		case 1:
			callCtx = midway
		}
		wg.Go(func() {
			errs[i] = d.write(callCtx, func(c conn, now int64) error {
				if i == 1 {
					// A context that ends while its call runs does not cut
					// the call's statements short: the call completes.
					cancelMidway()
				}
				res, _, err := d.insert(callCtx, c, []driver.NewTask{{Queue: "g", Payload: []byte(fmt.Sprint(i)), MaxAttempts: 1}}, now)
				if err != nil {
					return err
				}
				ids[i] = res[0].ID
				if i%3 == 0 {
					return fmt.Errorf("request %d: %w", i, boom)
				}
				return nil
			})
		})
	}
	require.Eventually(t, func() bool {
		d.pmu.Lock()
		defer d.pmu.Unlock()
		return len(d.pending) == n
	}, 10*time.Second, time.Millisecond, "every request queues while the token is held")
	cancel() // the last request gives up before its turn
	<-d.writer
	wg.Wait()
	require.ErrorIs(t, errs[n-1], context.Canceled, "a request cancelled while queued returns its context's error")
	require.Zero(t, ids[n-1], "a cancelled request is not run")

	// IDs of undone inserts are given again (AUTOINCREMENT is undone
	// too), so the check is on the payloads stored.
	recs, err := d.List(ctx, driver.ListParams{Queue: "g"})
	require.NoError(t, err)
	stored := make(map[string]bool)
	for _, r := range recs {
		stored[string(r.Payload)] = true
	}
	for i := range n - 1 {
		if i%3 == 0 {
			require.ErrorIs(t, errs[i], boom, "request %d gets its own error", i)
			require.False(t, stored[fmt.Sprint(i)], "the failed request %d is undone", i)
			continue
		}
		require.NoError(t, errs[i], "request %d", i)
		require.True(t, stored[fmt.Sprint(i)], "request %d is committed", i)
	}
	require.Len(t, recs, n-1-(n-1+2)/3)
}

// TestQueryFilesAreUsed loads the embedded SQL: every file has a use and
// every query a file, and migrations are numbered in sequence.
func TestQueryFilesAreUsed(t *testing.T) {
	t.Parallel()
	_, err := loadQueries(DefaultTablePrefix)
	require.NoError(t, err)
	steps, err := loadMigrations(DefaultTablePrefix)
	require.NoError(t, err)
	require.NotEmpty(t, steps)
}

// gatherDriver opens a driver on a file as if its last group had ended
// with writers writers and a very long commit, so that a leader's wait for
// its group is bounded by bound alone, and counts the groups it commits.
func gatherDriver(t *testing.T, writers int, bound time.Duration) (*Driver, *atomic.Int64) {
	t.Helper()
	d, err := Open(context.Background(), filepath.Join(t.TempDir(), "tasks.db"), nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close() })
	d.writers = writers
	d.lastCommit = time.Hour
	d.gatherMax = bound
	groups := new(atomic.Int64)
	d.beforeGroupCommit = func() error {
		groups.Add(1)
		return nil
	}
	return d, groups
}

func createOne(ctx context.Context, d *Driver, payload string) error {
	_, err := d.Create(ctx, []driver.NewTask{{Queue: "g", Payload: []byte(payload), MaxAttempts: 1}})
	return err
}

// TestGroupWaitsForTheWritersOfTheLastCommit checks that when as many
// writers as were there at the last commit come back one by one, the
// first of them to lead waits for the others and commits them all in one
// group.
func TestGroupWaitsForTheWritersOfTheLastCommit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const writers = 3
	d, groups := gatherDriver(t, writers, time.Minute)
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() { errs[i] = createOne(ctx, d, fmt.Sprint(i)) })
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "create %d", i)
	}
	require.EqualValues(t, 1, groups.Load(), "the three creates share one group")
	n, err := d.Count(ctx, "g")
	require.NoError(t, err)
	require.EqualValues(t, writers, n[driver.StatePending])
}

// TestLoneWriterDoesNotWait checks that a writer that was alone at the
// last commit commits at once: its create returns long before the bound of
// the wait.
func TestLoneWriterDoesNotWait(t *testing.T) {
	t.Parallel()
	d, groups := gatherDriver(t, 1, time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := range 3 {
		require.NoError(t, createOne(ctx, d, fmt.Sprint(i)), "create %d commits without waiting for the bound", i)
	}
	require.EqualValues(t, 3, groups.Load())
}

// TestGroupWaitEndsAtItsBound checks that a leader waiting for writers who
// do not come back commits once the bound has passed, and that the next
// write, alone since, does not wait.
func TestGroupWaitEndsAtItsBound(t *testing.T) {
	t.Parallel()
	const bound = 50 * time.Millisecond
	d, groups := gatherDriver(t, 4, bound)
	ctx := context.Background()
	start := time.Now()
	require.NoError(t, createOne(ctx, d, "first"))
	require.GreaterOrEqual(t, time.Since(start), bound, "the leader waited for the writers of the last commit")
	d.gatherMax = time.Hour
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	require.NoError(t, createOne(ctx, d, "second"), "the writer was alone at the last commit: no wait")
	require.EqualValues(t, 2, groups.Load())
}

// TestCancelledBeginKeepsInMemoryDatabase cancels a write just before its
// BEGIN, on a file and on ":memory:": the write fails with the context's
// error and stores nothing, and every task stored before is still there.
// An in-memory database lives in its one connection: dropping that
// connection, as the driver does on a file, would lose it all.
func TestCancelledBeginKeepsInMemoryDatabase(t *testing.T) {
	t.Parallel()
	for _, dsn := range []string{":memory:", filepath.Join(t.TempDir(), "tasks.db")} {
		t.Run(filepath.Base(dsn), func(t *testing.T) {
			ctx := context.Background()
			d, err := Open(ctx, dsn, nil)
			require.NoError(t, err)
			defer d.Close()
			require.NoError(t, createOne(ctx, d, "kept"))

			cctx, cancel := context.WithCancel(ctx)
			d.beforeBegin = func(group context.Context) {
				cancel()
				<-group.Done() // every caller has gone: BEGIN runs cut short
			}
			require.ErrorIs(t, createOne(cctx, d, "cut"), context.Canceled)
			d.beforeBegin = nil

			counts, err := d.Count(ctx, "g")
			require.NoError(t, err, "the database is still there")
			require.Equal(t, int64(1), counts[driver.StatePending], "the task stored before, not the cut one")
			require.NoError(t, createOne(ctx, d, "after"), "writes go on")
		})
	}
}
