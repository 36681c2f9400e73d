package gosk_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivers/memory"
)

// moveStores returns a source with tasks in every state and an empty
// destination. On the source, queue "mail" holds: 3 pending (one with a
// unique key, one delayed, one failed once), 1 running, 1 completed with
// a result, 1 failed; queue "other" holds 1 pending.
func moveStores(t *testing.T, clock func() time.Time) (src, dst *memory.Driver) {
	t.Helper()
	ctx := t.Context()
	src = memory.New(&memory.Options{Clock: clock})
	dst = memory.New(nil)
	t.Cleanup(func() { _ = src.Close(); _ = dst.Close() })
	create := func(nt driver.NewTask) int64 {
		res, err := src.Create(ctx, []driver.NewTask{nt})
		require.NoError(t, err)
		require.NoError(t, res[0].Err)
		return res[0].ID
	}
	finish := func(kind driver.OutcomeKind, msg string, result []byte) {
		c, err := src.Claim(ctx, driver.ClaimParams{Queue: "mail", Rule: driver.Lifo, Lease: time.Minute})
		require.NoError(t, err)
		require.Len(t, c, 1)
		errs, err := src.Finish(ctx, []driver.Outcome{{Lease: c[0].Lease, Kind: kind, Message: msg, Result: result}})
		require.NoError(t, err)
		require.NoError(t, errs[0])
	}
	create(driver.NewTask{Queue: "mail", Payload: []byte("done"), MaxAttempts: 3})
	finish(driver.Complete, "", []byte("sent"))
	create(driver.NewTask{Queue: "mail", Payload: []byte("broken"), MaxAttempts: 1})
	finish(driver.Fail, "no such address", nil)
	create(driver.NewTask{Queue: "mail", Payload: []byte("retried"), MaxAttempts: 5, Priority: 3})
	finish(driver.Release, "smtp timeout", nil)
	create(driver.NewTask{Queue: "mail", Payload: []byte("running"), MaxAttempts: 3})
	c, err := src.Claim(ctx, driver.ClaimParams{Queue: "mail", Rule: driver.Lifo, Lease: time.Minute})
	require.NoError(t, err)
	require.Len(t, c, 1)
	create(driver.NewTask{Queue: "mail", Payload: []byte("keyed"), MaxAttempts: 3, UniqueKey: "welcome-42"})
	create(driver.NewTask{Queue: "mail", Payload: []byte("later"), MaxAttempts: 3, Delay: time.Hour})
	create(driver.NewTask{Queue: "other", Payload: []byte("x"), MaxAttempts: 3})
	return src, dst
}

func list(t *testing.T, d driver.Admin, queue string, states ...driver.State) []driver.TaskRecord {
	t.Helper()
	recs, err := d.List(t.Context(), driver.ListParams{Queue: queue, States: states, Limit: 1000})
	require.NoError(t, err)
	return recs
}

func payloads(recs []driver.TaskRecord) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = string(r.Payload)
	}
	return out
}

// Move moves every pending task with its record, cancels it on the source,
// pauses the source's queues, copies history on request, and a second run
// moves nothing twice.
func TestMoveMovesPendingTasksOnce(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	src, dst := moveStores(t, time.Now)
	pendingBefore := list(t, src, "mail", driver.StatePending)
	var progress int
	rep, err := gosk.Move(ctx, src, dst, &gosk.MoveOptions{Origin: "sqlite:///old.db", History: true, BatchSize: 2,
		Progress: func(gosk.MoveReport) { progress++ }})
	require.NoError(t, err)
	require.Len(t, rep.Queues, 2, "every queue the source lists")
	mail := rep.Queues[0]
	assert.Equal(t, gosk.QueueMove{Queue: "mail", Moved: 3, Copied: 2, Running: 1}, mail)
	assert.Equal(t, gosk.QueueMove{Queue: "other", Moved: 1}, rep.Queues[1])
	assert.Positive(t, progress, "Progress is called after batches")

	moved := list(t, dst, "mail", driver.StatePending)
	require.Equal(t, payloads(pendingBefore), payloads(moved), "the pending tasks are on the destination, in their order")
	for i, r := range moved {
		was := pendingBefore[i]
		assert.Equal(t, was.Attempt, r.Attempt, "%s: attempts", was.Payload)
		assert.Equal(t, was.LastError, r.LastError, "%s: last error", was.Payload)
		assert.Equal(t, was.UniqueKey, r.UniqueKey, "%s: unique key", was.Payload)
		assert.Equal(t, was.Priority, r.Priority, "%s: priority", was.Payload)
		assert.True(t, was.RunAt.Truncate(time.Microsecond).Equal(r.RunAt), "%s: run-at", was.Payload)
	}
	assert.Equal(t, []string{"done", "broken"}, payloads(list(t, dst, "mail", driver.StateCompleted, driver.StateFailed)), "history is copied")
	assert.Equal(t, []byte("sent"), list(t, dst, "mail", driver.StateCompleted)[0].Result)
	assert.Empty(t, list(t, src, "mail", driver.StatePending), "moved tasks are no longer pending on the source")
	assert.Len(t, list(t, src, "mail", driver.StateRunning), 1, "a running task finishes on the source")
	paused, err := src.PausedQueues(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"mail", "other"}, paused, "the source's queues are paused")
	dstPaused, err := dst.PausedQueues(ctx)
	require.NoError(t, err)
	assert.Empty(t, dstPaused, "the destination's queues are not")

	again, err := gosk.Move(ctx, src, dst, &gosk.MoveOptions{Origin: "sqlite:///old.db", History: true})
	require.NoError(t, err)
	assert.Equal(t, gosk.QueueMove{Queue: "mail", WasPaused: true, Running: 1}, again.Queues[0], "a second run moves nothing twice")
	assert.Len(t, list(t, dst, "mail"), 5, "nothing was stored twice")
}

// A run that stopped between storing tasks on the destination and
// cancelling them on the source is finished by the next run.
func TestMoveResumesAnInterruptedRun(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	src, dst := moveStores(t, time.Now)
	pending := list(t, src, "other", driver.StatePending)
	res, err := dst.Import(ctx, []driver.ImportTask{{Origin: "old", Task: pending[0]}})
	require.NoError(t, err)
	require.True(t, res[0].Imported)

	rep, err := gosk.Move(ctx, src, dst, &gosk.MoveOptions{Origin: "old", Queues: []string{"other"}})
	require.NoError(t, err)
	assert.Equal(t, gosk.QueueMove{Queue: "other", Resumed: 1}, rep.Queues[0])
	assert.Len(t, list(t, dst, "other"), 1, "the task is on the destination once")
	assert.Empty(t, list(t, src, "other", driver.StatePending), "and cancelled on the source")
}

// A task whose unique key a destination task holds stays on the source,
// pending, and is counted.
func TestMoveLeavesTasksWhoseKeyIsHeld(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	src, dst := moveStores(t, time.Now)
	_, err := dst.Create(ctx, []driver.NewTask{{Queue: "mail", Payload: []byte("new"), MaxAttempts: 1, UniqueKey: "welcome-42"}})
	require.NoError(t, err)
	rep, err := gosk.Move(ctx, src, dst, &gosk.MoveOptions{Origin: "old", Queues: []string{"mail"}})
	require.NoError(t, err)
	assert.Equal(t, int64(1), rep.Queues[0].Held)
	assert.Equal(t, int64(2), rep.Queues[0].Moved)
	assert.Equal(t, []string{"keyed"}, payloads(list(t, src, "mail", driver.StatePending)), "the held task stays pending on the source")
}

// With Wait, a task whose lease ran out on the source (its worker is
// gone) is moved too, and Move returns once nothing runs there.
func TestMoveWaitMovesLapsedTasks(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	behind := func() time.Time { return time.Now().Add(-time.Hour) } // leases of a minute ran out long ago on the mover's clock
	src, dst := moveStores(t, behind)
	rep, err := gosk.Move(ctx, src, dst, &gosk.MoveOptions{Origin: "old", Queues: []string{"mail"}, Wait: true, PollInterval: time.Millisecond})
	require.NoError(t, err)
	assert.Equal(t, gosk.QueueMove{Queue: "mail", Moved: 4, Lapsed: 1}, rep.Queues[0])
	got := list(t, dst, "mail", driver.StatePending)
	require.Equal(t, []string{"retried", "keyed", "later", "running"}, payloads(got), "the lapsed task is moved after the pending ones")
	assert.Equal(t, 1, got[3].Attempt, "the lapsed run's attempt is counted")
	assert.True(t, got[3].LeaseExpiresAt.IsZero())
	assert.Empty(t, list(t, src, "mail", driver.StatePending, driver.StateRunning), "nothing pending or running is left on the source")
}

// Bad options are refused before anything is touched.
func TestMoveRefusesBadOptions(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	src, dst := moveStores(t, time.Now)
	for name, o := range map[string]*gosk.MoveOptions{
		"no origin":      nil,
		"origin NUL":     {Origin: "a\x00"},
		"batch too big":  {Origin: "o", BatchSize: 10_001},
		"negative poll":  {Origin: "o", PollInterval: -1},
		"bad queue name": {Origin: "o", Queues: []string{"no spaces"}},
	} {
		_, err := gosk.Move(ctx, src, dst, o)
		require.ErrorIs(t, err, gosk.ErrInvalid, name)
	}
	_, err := gosk.Move(ctx, src, plain{dst}, &gosk.MoveOptions{Origin: "o"})
	require.ErrorIs(t, err, gosk.ErrUnsupported, "a destination without driver.Importer")
	assert.ErrorContains(t, err, "driver.Importer")
	_, err = gosk.Move(ctx, plain{src}, dst, &gosk.MoveOptions{Origin: "o"})
	require.ErrorIs(t, err, gosk.ErrUnsupported, "a source without driver.Admin")
	paused, err := src.PausedQueues(ctx)
	require.NoError(t, err)
	assert.Empty(t, paused, "a refused move pauses nothing")
}

// plain hides every capability of a driver.
type plain struct{ driver.Driver }

// A task due in centuries, later than any store keeps exactly, moves
// due just before driver.MaxImportTime: never, in practice.
func TestMoveKeepsFarTasksWaiting(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	src, dst := memory.New(nil), memory.New(nil)
	t.Cleanup(func() { _ = src.Close(); _ = dst.Close() })
	_, err := src.Create(ctx, []driver.NewTask{{Queue: "far", Payload: []byte("x"), MaxAttempts: 1, Delay: 290 * 365 * 24 * time.Hour}})
	require.NoError(t, err)
	rep, err := gosk.Move(ctx, src, dst, &gosk.MoveOptions{Origin: "old"})
	require.NoError(t, err)
	assert.Equal(t, int64(1), rep.Queues[0].Moved)
	got := list(t, dst, "far", driver.StatePending)
	require.Len(t, got, 1)
	assert.True(t, got[0].RunAt.Equal(driver.MaxImportTime.Add(-time.Second)), "run-at %v", got[0].RunAt)
}

// A page of tasks whose payloads total more than one import may carry
// (driver.MaxBatchPayloadLen) is imported in several, and every task is
// moved once.
func TestMoveSplitsLargePagesByBytes(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	src, dst := memory.New(nil), memory.New(nil)
	t.Cleanup(func() { _ = src.Close(); _ = dst.Close() })
	payload := make([]byte, driver.DefaultMaxPayloadLen)
	n := driver.MaxBatchPayloadLen/len(payload) + 3 // more than one import's worth
	for i := range n {
		payload[0] = byte(i)
		_, err := src.Create(ctx, []driver.NewTask{{Queue: "big", Payload: payload, MaxAttempts: 1}})
		require.NoError(t, err)
	}
	rep, err := gosk.Move(ctx, src, dst, &gosk.MoveOptions{Origin: "src", Queues: []string{"big"}})
	require.NoError(t, err, "a page over the batch limit is moved in several imports")
	assert.Equal(t, gosk.QueueMove{Queue: "big", Moved: int64(n)}, rep.Queues[0])
	moved := list(t, dst, "big")
	require.Len(t, moved, n)
	for i, r := range moved {
		assert.Equal(t, byte(i), r.Payload[0], "task %d moved in its place", i)
	}
}
