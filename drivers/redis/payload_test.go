package redis_test

import (
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
	goskredis "github.com/gosk/gosk/drivers/redis"
)

// payloadOf returns a payload of n bytes that differs from any other of
// another length or seed.
func payloadOf(n int, seed byte) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = seed + byte(i*7)
	}
	return p
}

// Payloads of 1 KiB and more live under keys of their own, the others in
// their records (drivertest's Payload/EverySizeSurvivesTheLifecycle checks
// that every read returns them whole); no staged payload is left behind,
// and deleting a task deletes its payload.
func TestLargePayloadsKeptApart(t *testing.T) {
	t.Parallel()
	d := newDriver(t, singleClient(t), nil)
	defer d.Close()
	ctx := t.Context()
	sizes := []int{0, 100, 1023, 1024, 10_000, 1 << 20}
	var tasks []driver.NewTask
	for i, n := range sizes {
		tasks = append(tasks, driver.NewTask{Queue: "q", Payload: payloadOf(n, byte(i)), MaxAttempts: 1, Priority: i % 2})
	}
	res, err := d.Create(ctx, tasks)
	require.NoError(t, err)
	// And one alone, which goes through the coalesced path.
	one, err := d.Create(ctx, []driver.NewTask{{Queue: "q", Payload: payloadOf(5000, 9), MaxAttempts: 1}})
	require.NoError(t, err)
	want := map[int64][]byte{one[0].ID: payloadOf(5000, 9)}
	for i, r := range res {
		require.NoError(t, r.Err)
		want[r.ID] = tasks[i].Payload
	}

	kept, staged, err := goskredis.PayloadKeys(ctx, d)
	require.NoError(t, err)
	require.Len(t, kept, 4, "one key per payload of 1 KiB or more")
	require.Empty(t, staged, "every staged payload was taken")

	claimed, err := d.Claim(ctx, driver.ClaimParams{Queue: "q", Limit: 100, Lease: time.Minute, Rule: driver.Fifo})
	require.NoError(t, err)
	require.Len(t, claimed, len(want))
	outcomes := make([]driver.Outcome, len(claimed))
	for i, c := range claimed {
		outcomes[i] = driver.Outcome{Lease: c.Lease, Kind: driver.Complete}
	}
	errs, err := d.Finish(ctx, outcomes)
	require.NoError(t, err)
	for _, e := range errs {
		require.NoError(t, e)
	}
	n, err := d.Purge(ctx, driver.PurgeParams{Queue: "q", Limit: 100})
	require.NoError(t, err)
	require.Equal(t, len(want), n)
	kept, _, err = goskredis.PayloadKeys(ctx, d)
	require.NoError(t, err)
	require.Empty(t, kept, "purging a task deletes its payload")
}

// A task refused as a duplicate stores nothing, its large payload neither.
func TestLargePayloadOfDuplicateNotKept(t *testing.T) {
	t.Parallel()
	d := newDriver(t, singleClient(t), nil)
	defer d.Close()
	ctx := t.Context()
	task := driver.NewTask{Queue: "q", Payload: payloadOf(4096, 1), MaxAttempts: 1, UniqueKey: "k"}
	res, err := d.Create(ctx, []driver.NewTask{task, task})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	require.ErrorIs(t, res[1].Err, driver.ErrDuplicate)
	res, err = d.Create(ctx, []driver.NewTask{task})
	require.NoError(t, err)
	require.ErrorIs(t, res[0].Err, driver.ErrDuplicate)
	kept, staged, err := goskredis.PayloadKeys(ctx, d)
	require.NoError(t, err)
	require.Len(t, kept, 1, "the payload of the one stored task")
	require.Empty(t, staged)
}

// A create call whose staged payload is missing fails before it writes:
// no task, no unique key taken, no ID used.
func TestCreateWithoutItsStagedPayloadStoresNothing(t *testing.T) {
	t.Parallel()
	d := newDriver(t, singleClient(t), nil)
	defer d.Close()
	ctx := t.Context()
	tasks := []driver.NewTask{
		{Queue: "q", Payload: []byte("small"), MaxAttempts: 1, UniqueKey: "a"},
		{Queue: "q", Payload: payloadOf(2048, 3), MaxAttempts: 1, UniqueKey: "b"},
	}
	err := goskredis.CreateUnstaged(ctx, d, tasks)
	require.ErrorContains(t, err, "staged payload")
	counts, err := d.Count(ctx, "q")
	require.NoError(t, err)
	require.Zero(t, counts[driver.StatePending])
	res, err := d.Create(ctx, tasks)
	require.NoError(t, err, "the unique keys are free")
	require.NoError(t, res[0].Err)
	require.NoError(t, res[1].Err)
	rec, err := d.Get(ctx, res[1].ID)
	require.NoError(t, err)
	require.Equal(t, tasks[1].Payload, rec.Payload)
}

// A large payload created inside a caller's transaction stays in its
// record (a transaction cannot stage it first), and reads back whole.
func TestLargePayloadInTxKeptInRecord(t *testing.T) {
	t.Parallel()
	client := singleClient(t)
	d := newDriver(t, client, nil)
	defer d.Close()
	ctx := t.Context()
	p := payloadOf(8192, 5)
	var res []driver.CreateResult
	_, err := client.TxPipelined(ctx, func(tx goredis.Pipeliner) error {
		var err error
		res, err = d.Tx(tx).Create(ctx, []driver.NewTask{{Queue: "q", Payload: p, MaxAttempts: 1}})
		return err
	})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	kept, staged, err := goskredis.PayloadKeys(ctx, d)
	require.NoError(t, err)
	require.Empty(t, kept)
	require.Empty(t, staged)
	claimed, err := d.Claim(ctx, driver.ClaimParams{Queue: "q", Limit: 1, Lease: time.Minute, Rule: driver.Fifo})
	require.NoError(t, err)
	require.Len(t, claimed, 1)
	require.Equal(t, p, claimed[0].Task.Payload)
}
