package redis_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
	goskredis "github.com/gosk/gosk/drivers/redis"
)

// Tasks that layout version 1 stored as hashes stay readable, claimable
// and finishable; their first change rewrites them packed.
func TestLayout1TasksStayUsable(t *testing.T) {
	t.Parallel()
	c := singleClient(t)
	d := newDriver(t, c, nil)
	defer d.Close()
	ctx := t.Context()
	res, err := d.Create(ctx, []driver.NewTask{{Queue: "old", Payload: []byte("p"), Priority: 3, MaxAttempts: 2, UniqueKey: "u"}})
	require.NoError(t, err)
	id := res[0].ID
	want, err := d.Get(ctx, id)
	require.NoError(t, err)
	require.NoError(t, goskredis.ToLayout1(ctx, d, id))
	key := goskredis.TaskKey(d, id)
	require.Equal(t, "hash", c.Type(ctx, key).Val())
	got, err := d.Get(ctx, id)
	require.NoError(t, err)
	require.Equal(t, want, got)
	claimed, err := d.Claim(ctx, driver.ClaimParams{Queue: "old", Limit: 1, Rule: driver.Priority, Lease: time.Minute})
	require.NoError(t, err)
	require.Len(t, claimed, 1)
	require.Equal(t, id, claimed[0].Task.ID)
	require.Equal(t, []byte("p"), claimed[0].Task.Payload)
	require.Equal(t, "string", c.Type(ctx, key).Val(), "the claim rewrote it packed")
	require.NoError(t, goskredis.ToLayout1(ctx, d, id))
	errs, err := d.Finish(ctx, []driver.Outcome{{Lease: claimed[0].Lease, Kind: driver.Complete, Result: []byte("r")}})
	require.NoError(t, err)
	require.NoError(t, errs[0])
	got, err = d.Get(ctx, id)
	require.NoError(t, err)
	require.Equal(t, driver.StateCompleted, got.State)
	require.Equal(t, []byte("r"), got.Result)
	require.Equal(t, 1, got.Attempt)
}

// Pending tasks that layout 1 indexed (every one in the pending set, and
// in the priority set) are counted and claimed once each, in priority
// order, beside tasks indexed by layout 2.
func TestLayout1PendingTasksClaimedInOrder(t *testing.T) {
	t.Parallel()
	d := newDriver(t, singleClient(t), nil)
	defer d.Close()
	ctx := t.Context()
	for _, pr := range []int{5, 0, -5} {
		res, err := d.Create(ctx, []driver.NewTask{{Queue: "old", Payload: []byte(fmt.Sprint(pr)), Priority: pr, MaxAttempts: 1}})
		require.NoError(t, err)
		require.NoError(t, goskredis.ToLayout1(ctx, d, res[0].ID))
	}
	_, err := d.Create(ctx, []driver.NewTask{{Queue: "old", Payload: []byte("new0"), MaxAttempts: 1}})
	require.NoError(t, err)
	n, err := d.Count(ctx, "old")
	require.NoError(t, err)
	require.Equal(t, int64(4), n[driver.StatePending])
	var got []string
	for range 5 {
		claimed, err := d.Claim(ctx, driver.ClaimParams{Queue: "old", Limit: 1, Rule: driver.Priority, Lease: time.Minute})
		require.NoError(t, err)
		for _, c := range claimed {
			got = append(got, string(c.Task.Payload))
		}
	}
	require.Equal(t, []string{"5", "0", "new0", "-5"}, got)
}
