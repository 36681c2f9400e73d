package bbolt

import (
	"context"
	"encoding/binary"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/internal/testclock"
)

// idsIn returns the IDs that queue q's bucket name holds, in key order:
// the last 8 bytes of each key (every index of pending tasks ends with the
// task's ID).
func idsIn(t *testing.T, d *Driver, q string, name []byte) []int64 {
	t.Helper()
	var ids []int64
	require.NoError(t, d.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(d.bucket).Bucket(bucketQueues).Bucket([]byte(q)).Bucket(name)
		require.NotNil(t, b, "bucket %s", name)
		return b.ForEach(func(k, _ []byte) error {
			ids = append(ids, int64(binary.BigEndian.Uint64(k[len(k)-8:])))
			return nil
		})
	}))
	return ids
}

// pendingIn returns the IDs each bucket of the due and of the delayed set
// holds, fifo, prio and ids, in that order.
func pendingIn(t *testing.T, d *Driver, q string) (due, delayed [3][]int64) {
	t.Helper()
	for i, names := range [][2][]byte{{bucketFifo, bucketDelayedFifo}, {bucketPrio, bucketDelayedPrio}, {stateBucket(driver.StatePending), bucketDelayedIDs}} {
		due[i], delayed[i] = idsIn(t, d, q, names[0]), idsIn(t, d, q, names[1])
	}
	return due, delayed
}

func three(ids ...int64) [3][]int64 { return [3][]int64{ids, ids, ids} }

func openClocked(t *testing.T, path string, clock *testclock.Clock) *Driver {
	t.Helper()
	d, err := Open(context.Background(), path, &Options{Clock: clock.Now})
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close() })
	return d
}

func createOne(t *testing.T, d *Driver, nt driver.NewTask) int64 {
	t.Helper()
	res, err := d.Create(context.Background(), []driver.NewTask{nt})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	return res[0].ID
}

// A pending task stored to run later is indexed in the delayed set, one
// due when stored in the due set, whatever the transition that stored it;
// leaving pending takes it out of whichever holds it.
func TestDelayedTasksHaveTheirOwnIndexes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := testclock.New(time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC))
	d := openClocked(t, filepath.Join(t.TempDir(), "gosk.db"), clock)
	now := createOne(t, d, driver.NewTask{Queue: "q", MaxAttempts: 3})
	later := createOne(t, d, driver.NewTask{Queue: "q", MaxAttempts: 3, Delay: time.Hour})
	due, delayed := pendingIn(t, d, "q")
	assert.Equal(t, three(now), due)
	assert.Equal(t, three(later), delayed)

	// Released with a delay, the claimed task goes to the delayed set.
	claimed, err := d.Claim(ctx, driver.ClaimParams{Queue: "q", Limit: 10, Rule: driver.Fifo, Lease: time.Minute})
	require.NoError(t, err)
	require.Len(t, claimed, 1)
	errs, err := d.Finish(ctx, []driver.Outcome{{Lease: claimed[0].Lease, Kind: driver.Release, Delay: time.Minute}})
	require.NoError(t, err)
	require.NoError(t, errs[0])
	due, delayed = pendingIn(t, d, "q")
	assert.Equal(t, three(), due)
	assert.Equal(t, three(now, later), delayed)

	// Cancelled, the delayed task leaves every index of pending tasks.
	errs, err = d.Cancel(ctx, []int64{later})
	require.NoError(t, err)
	require.NoError(t, errs[0])
	due, delayed = pendingIn(t, d, "q")
	assert.Equal(t, three(), due)
	assert.Equal(t, three(now), delayed)
	counts, err := d.Count(ctx, "q")
	require.NoError(t, err)
	assert.Equal(t, int64(1), counts[driver.StatePending])
	assert.Equal(t, int64(1), counts[driver.StateCancelled])
}

// Once a delayed task is due, claims take it in its place by the rule
// among the tasks of the due set; List and Due see both sets.
func TestClaimMergesDueAndDelayedTasks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, c := range []struct {
		rule  driver.PriorityRule
		first string
	}{{driver.Fifo, "delayed"}, {driver.Lifo, "due"}, {driver.Priority, "due"}} {
		clock := testclock.New(time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC))
		d := openClocked(t, filepath.Join(t.TempDir(), "gosk.db"), clock)
		ids := map[string]int64{"delayed": createOne(t, d, driver.NewTask{Queue: "q", MaxAttempts: 1, Priority: 1, Delay: time.Minute})}
		clock.Add(2 * time.Minute)
		ids["due"] = createOne(t, d, driver.NewTask{Queue: "q", MaxAttempts: 1, Priority: 5})

		wait, err := d.Due(ctx, []string{"q"})
		require.NoError(t, err)
		assert.Equal(t, []time.Duration{0}, wait, "rule %v", c.rule)
		listed, err := d.List(ctx, driver.ListParams{Queue: "q", States: []driver.State{driver.StatePending}, Limit: 10})
		require.NoError(t, err)
		require.Len(t, listed, 2, "rule %v", c.rule)
		assert.Equal(t, []int64{ids["delayed"], ids["due"]}, []int64{listed[0].ID, listed[1].ID}, "rule %v", c.rule)

		claimed, err := d.Claim(ctx, driver.ClaimParams{Queue: "q", Limit: 1, Rule: c.rule, Lease: time.Minute})
		require.NoError(t, err)
		require.Len(t, claimed, 1, "rule %v", c.rule)
		assert.Equal(t, ids[c.first], claimed[0].Task.ID, "rule %v", c.rule)
	}
}

// A store of layout version 3 kept every pending task, delayed or not, in
// fifo/, prio/ and state:pending/. Open migrates it to version 4 by making
// each queue's delayed buckets and leaves those tasks where they are:
// they are listed, counted, claimed once due and cancelled as before,
// while new delayed tasks go to the new buckets.
func TestMigrateFromVersion3KeepsPendingTasks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := testclock.New(time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC))
	path := filepath.Join(t.TempDir(), "gosk.db")
	d, err := Open(ctx, path, &Options{Clock: clock.Now})
	require.NoError(t, err)
	now := createOne(t, d, driver.NewTask{Queue: "q", MaxAttempts: 1})
	later := createOne(t, d, driver.NewTask{Queue: "q", MaxAttempts: 1, Delay: time.Hour})
	cancelled := createOne(t, d, driver.NewTask{Queue: "q", MaxAttempts: 1, Delay: time.Hour})
	require.NoError(t, d.Close())

	// Make it the store version 3 wrote: the delayed set's entries in the
	// due set's buckets, no delayed buckets, version 3.
	db, err := bolt.Open(path, 0o600, nil)
	require.NoError(t, err)
	require.NoError(t, db.Update(func(tx *bolt.Tx) error {
		top := tx.Bucket([]byte(DefaultBucket))
		qb := top.Bucket(bucketQueues).Bucket([]byte("q"))
		for _, names := range [][2][]byte{{bucketDelayedFifo, bucketFifo}, {bucketDelayedPrio, bucketPrio}, {bucketDelayedIDs, stateBucket(driver.StatePending)}} {
			from, to := qb.Bucket(names[0]), qb.Bucket(names[1])
			if err := from.ForEach(func(k, v []byte) error { return to.Put(k, v) }); err != nil {
				return err
			}
			if err := qb.DeleteBucket(names[0]); err != nil {
				return err
			}
		}
		return putVersion(top.Bucket(bucketMeta), 3)
	}))
	require.NoError(t, db.Close())

	d = openClocked(t, path, clock)
	require.NoError(t, d.db.View(func(tx *bolt.Tx) error {
		assert.Equal(t, uint64(SchemaVersion), binary.BigEndian.Uint64(tx.Bucket(d.bucket).Bucket(bucketMeta).Get(keyVersion)))
		return nil
	}))
	due, delayed := pendingIn(t, d, "q")
	assert.Equal(t, three(now, later, cancelled), due, "the tasks stay where version 3 put them")
	assert.Equal(t, three(), delayed)

	listed, err := d.List(ctx, driver.ListParams{Queue: "q", States: []driver.State{driver.StatePending}, Limit: 10})
	require.NoError(t, err)
	assert.Len(t, listed, 3)
	errs, err := d.Cancel(ctx, []int64{cancelled})
	require.NoError(t, err)
	require.NoError(t, errs[0])
	fresh := createOne(t, d, driver.NewTask{Queue: "q", MaxAttempts: 1, Delay: time.Hour})
	due, delayed = pendingIn(t, d, "q")
	assert.Equal(t, three(now, later), due)
	assert.Equal(t, three(fresh), delayed, "a new delayed task goes to the new buckets")

	p := driver.ClaimParams{Queue: "q", Limit: 10, Rule: driver.Fifo, Lease: 3 * time.Hour}
	claimed, err := d.Claim(ctx, p)
	require.NoError(t, err)
	require.Len(t, claimed, 1)
	assert.Equal(t, now, claimed[0].Task.ID)
	clock.Add(2 * time.Hour)
	claimed, err = d.Claim(ctx, p)
	require.NoError(t, err)
	require.Len(t, claimed, 2)
	assert.Equal(t, []int64{later, fresh}, []int64{claimed[0].Task.ID, claimed[1].Task.ID})
	counts, err := d.Count(ctx, "q")
	require.NoError(t, err)
	assert.Equal(t, int64(0), counts[driver.StatePending])
	assert.Equal(t, int64(3), counts[driver.StateRunning])
}
