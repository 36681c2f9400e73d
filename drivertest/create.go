package drivertest

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
)

var createRules = []rule{
	{name: "GetReturnsWhatCreateStored", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		id := f.create(driver.NewTask{Queue: q, Payload: []byte("hello"), Priority: 7, MaxAttempts: 5, UniqueKey: "k1"})[0]
		r := f.get(id)
		assert.Equal(t, q, r.Queue, "queue")
		assert.Equal(t, []byte("hello"), r.Payload, "payload")
		assert.Equal(t, 7, r.Priority, "priority")
		assert.Equal(t, "k1", r.UniqueKey, "unique key")
		assert.Equal(t, 5, r.MaxAttempts, "max attempts")
		assert.Equal(t, driver.StatePending, r.State, "a new task is pending")
		assert.Zero(t, r.Attempt, "a new task has used no attempt")
		assert.Empty(t, r.LastError, "a new task has no last error")
		assert.False(t, r.CreatedAt.IsZero(), "CreatedAt is set")
		assert.False(t, r.RunAt.Before(r.CreatedAt), "a task without delay runs at its creation time (RunAt %v, CreatedAt %v)", r.RunAt, r.CreatedAt)
		assert.Less(t, r.RunAt.Sub(r.CreatedAt), time.Second, "a task without delay is available at once")
		assert.True(t, r.LeaseExpiresAt.IsZero(), "a pending task has no lease")
		assert.True(t, r.FinalizedAt.IsZero(), "a pending task is not finalised")
	}},
	{name: "BatchResultsLineUpWithInput", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		const n = 50
		got := f.createN(q, n)
		seen := map[int64]bool{}
		for i, id := range got {
			require.False(t, seen[id], "Create gave ID %d to two tasks of one batch", id)
			seen[id] = true
			assert.Equal(t, fmt.Sprint(i), string(f.get(id).Payload), "result %d must be the ID of task %d of the batch", i, i)
		}
		more := f.createN(q, 3)
		for _, id := range more {
			require.False(t, seen[id], "Create reused ID %d", id)
		}
	}},
	{name: "EmptyBatchStoresNothing", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		res, err := f.d.Create(f.ctx, nil)
		require.NoError(t, err, "Create of an empty batch is not an error")
		require.Empty(t, res, "Create of an empty batch returns no results")
	}},
}

var payloadRules = []rule{
	{name: "BinaryAndNonUTF8RoundTrip", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		all := make([]byte, 256)
		for i := range all {
			all[i] = byte(i)
		}
		payloads := [][]byte{all, {0xff, 0xfe, 0xfd}, {0, 0, 0}, []byte("\x00nul\x00"), {0xc3, 0x28}, []byte("ünïcødé ✓")}
		tasks := make([]driver.NewTask, len(payloads))
		for i, p := range payloads {
			tasks[i] = driver.NewTask{Queue: q, Payload: p, MaxAttempts: 1}
		}
		id := f.create(tasks...)
		for i, p := range payloads {
			assert.True(t, bytes.Equal(p, f.get(id[i]).Payload), "Get must return payload %d byte for byte", i)
		}
		got := f.claim(q, driver.Fifo, len(payloads), longLease)
		require.Len(t, got, len(payloads))
		for i, c := range got {
			assert.True(t, bytes.Equal(payloads[i], c.Task.Payload), "Claim must return payload %d byte for byte", i)
		}
	}},
	{name: "NilAndEmptyReadBackEmpty", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		id := f.create(driver.NewTask{Queue: q, MaxAttempts: 1}, driver.NewTask{Queue: q, Payload: []byte{}, MaxAttempts: 1})
		for _, i := range id {
			assert.Empty(t, f.get(i).Payload, "a nil or empty payload reads back empty")
		}
	}},
	{name: "LargePayloadRoundTrip", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		big := make([]byte, 1<<20)
		_, _ = rand.Read(big)
		id := f.create(driver.NewTask{Queue: q, Payload: big, MaxAttempts: 1})[0]
		assert.True(t, bytes.Equal(big, f.get(id).Payload), "a 1 MiB payload must read back byte for byte")
		c := f.claimOne(q, longLease)
		assert.True(t, bytes.Equal(big, c.Task.Payload), "Claim must return a 1 MiB payload byte for byte")
	}},
	{name: "EverySizeSurvivesTheLifecycle", test: everySizeSurvivesTheLifecycle},
}
