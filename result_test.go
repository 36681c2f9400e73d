package gosk_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivers/memory"
)

// SetResult encodes with the task's codec and refuses what does not
// encode or is too long, leaving the result as it was.
func TestSetResult(t *testing.T) {
	t.Parallel()
	task := &gosk.Task[int]{ID: 7}
	require.NoError(t, task.SetResult(map[string]int{"n": 1}))
	assert.JSONEq(t, `{"n":1}`, string(task.Result), "a task made by hand encodes with JSONCodec")

	err := task.SetResult(make(chan int))
	require.ErrorContains(t, err, "gosk: encode result of task 7")
	err = task.SetResult(string(make([]byte, gosk.MaxResultLen)))
	require.ErrorIs(t, err, gosk.ErrInvalid)
	require.ErrorContains(t, err, "result of task 7 is")
	assert.JSONEq(t, `{"n":1}`, string(task.Result), "a refused result leaves the result as it was")

	var got map[string]int
	require.NoError(t, task.DecodeResult(&got))
	assert.Equal(t, map[string]int{"n": 1}, got)
	require.ErrorIs(t, (&gosk.Task[int]{}).DecodeResult(&got), gosk.ErrNoResult)
}

// A task read with Get carries its result and its queue's codec.
func TestGetReadsTheResultWithTheQueuesCodec(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	drv := memory.New(nil)
	t.Cleanup(func() { _ = drv.Close() })
	q, err := gosk.NewQueue[[]byte](drv, "bytes", &gosk.QueueOptions{Codec: gosk.BytesCodec{}})
	require.NoError(t, err)
	id, err := q.Create(ctx, []byte("in"), nil)
	require.NoError(t, err)
	claimed, err := drv.Claim(ctx, driver.ClaimParams{Queue: "bytes", Rule: driver.Fifo, Lease: time.Minute})
	require.NoError(t, err)
	require.Len(t, claimed, 1)
	run, err := q.Decode(claimed[0].Task)
	require.NoError(t, err)
	require.NoError(t, run.SetResult([]byte{0, 1, 2}))
	errs, err := drv.Finish(ctx, []driver.Outcome{{Lease: claimed[0].Lease, Kind: driver.Complete, Result: run.Result}})
	require.NoError(t, err)
	require.NoError(t, errs[0])

	task, err := q.Get(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, []byte{0, 1, 2}, task.Result, "BytesCodec stores the bytes as they are")
	var got []byte
	require.NoError(t, task.DecodeResult(&got))
	assert.Equal(t, []byte{0, 1, 2}, got)
}
