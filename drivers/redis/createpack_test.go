package redis_test

import (
	"bytes"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
	goskredis "github.com/gosk/gosk/drivers/redis"
)

// The driver packs the head of a new task's record itself; the record it
// stores must be what Lua's cmsgpack makes of the same fields (so that
// every script reads it, and repacking changes nothing), for every width
// of string and integer that MessagePack has.
func TestCreatePacksRecordsAsCmsgpack(t *testing.T) {
	t.Parallel()
	c := singleClient(t)
	d := newDriver(t, c, nil)
	defer d.Close()
	ctx := t.Context()
	var tasks []driver.NewTask
	for _, n := range []int{0, 1, 31, 32, 255, 256, 65535, 65536} {
		tasks = append(tasks, driver.NewTask{Queue: "pack", Payload: bytes.Repeat([]byte{0xff}, n), MaxAttempts: 1})
	}
	for _, pr := range []int{math.MinInt16, -129, -128, -33, -32, -1, 1, 127, 128, 255, 256, math.MaxInt16} {
		tasks = append(tasks, driver.NewTask{Queue: "pack", Payload: []byte("p"), Priority: pr, MaxAttempts: 1})
	}
	for _, ma := range []int{127, 128, 255, 256, 65535, 65536, math.MaxInt32} {
		tasks = append(tasks, driver.NewTask{Queue: "pack", Payload: []byte("p"), MaxAttempts: ma})
	}
	tasks = append(tasks,
		driver.NewTask{Queue: "pack", Payload: []byte("u"), MaxAttempts: 2, UniqueKey: "a,b,c"},
		driver.NewTask{Queue: "pack", Payload: []byte("d"), MaxAttempts: 2, Delay: time.Hour},
		driver.NewTask{Queue: "pack2", Payload: []byte("other queue"), Priority: 3, MaxAttempts: 2, Delay: time.Minute, UniqueKey: "k"},
		driver.NewTask{Queue: "q" + string(bytes.Repeat([]byte("x"), 40)), Payload: []byte("long queue name"), MaxAttempts: 2},
	)
	res, err := d.Create(ctx, tasks)
	require.NoError(t, err)
	for i, r := range res {
		require.NoError(t, r.Err)
		raw, err := c.Get(ctx, goskredis.TaskKey(d, r.ID)).Bytes()
		require.NoError(t, err)
		repacked, err := c.Eval(ctx, "return cmsgpack.pack(cmsgpack.unpack(ARGV[1]))", nil, raw).Text()
		require.NoError(t, err)
		require.Equal(t, repacked, string(raw), "task %d: the record is not as cmsgpack packs it", i)
		got, err := d.Get(ctx, r.ID)
		require.NoError(t, err)
		want := tasks[i]
		require.Equal(t, want.Queue, got.Queue, "task %d", i)
		require.True(t, bytes.Equal(want.Payload, got.Payload), "task %d payload", i)
		require.Equal(t, want.Priority, got.Priority, "task %d", i)
		require.Equal(t, want.MaxAttempts, got.MaxAttempts, "task %d", i)
		require.Equal(t, want.UniqueKey, got.UniqueKey, "task %d", i)
		require.Equal(t, driver.StatePending, got.State, "task %d", i)
		require.Equal(t, want.Delay, got.RunAt.Sub(got.CreatedAt), "task %d", i)
	}
	// Claim hands the records over packed as stored; the driver unpacks
	// them into what Get reads.
	for _, q := range []string{"pack", "pack2"} {
		claimed, err := d.Claim(ctx, driver.ClaimParams{Queue: q, Limit: len(tasks), Rule: driver.Priority, Lease: time.Hour})
		require.NoError(t, err)
		for _, c := range claimed {
			got, err := d.Get(ctx, c.Task.ID)
			require.NoError(t, err)
			require.Equal(t, got, c.Task, "task %d as claimed and as read", c.Task.ID)
			require.Equal(t, driver.StateRunning, c.Task.State)
			require.Equal(t, 1, c.Task.Attempt)
		}
	}
}
