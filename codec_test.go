package gosk_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/drivers/memory"
)

// BytesCodec stores a []byte payload byte for byte, where JSONCodec would
// store quoted base64, and reads it back unchanged.
func TestBytesCodecStoresTheBytes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := memory.New(nil)
	t.Cleanup(func() { _ = d.Close() })
	q, err := gosk.NewQueue[[]byte](d, "blobs", &gosk.QueueOptions{Codec: gosk.BytesCodec{}})
	require.NoError(t, err)

	payload := []byte{0, 1, 2, 0xff, 'a', '"', 0x80}
	id, err := q.Create(ctx, payload, nil)
	require.NoError(t, err)
	payload[0] = 42 // the caller may reuse its slice once Create returned

	rec, err := d.Get(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, []byte{0, 1, 2, 0xff, 'a', '"', 0x80}, rec.Payload, "stored as given")
	asJSON, err := gosk.JSONCodec{}.Marshal([]byte{0, 1, 2, 0xff, 'a', '"', 0x80})
	require.NoError(t, err)
	assert.Greater(t, len(asJSON), len(rec.Payload), "JSON stores base64 text, longer")

	task, err := q.Get(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, []byte{0, 1, 2, 0xff, 'a', '"', 0x80}, task.Payload)

	empty, err := q.Create(ctx, nil, nil)
	require.NoError(t, err)
	task, err = q.Get(ctx, empty)
	require.NoError(t, err)
	assert.Empty(t, task.Payload)
}

// Named byte-slice types go through as well; anything else is refused
// before a task is stored.
func TestBytesCodecTypes(t *testing.T) {
	t.Parallel()
	c := gosk.BytesCodec{}
	raw := json.RawMessage(`{"a":1}`)
	b, err := c.Marshal(raw)
	require.NoError(t, err)
	var back json.RawMessage
	require.NoError(t, c.Unmarshal(b, &back))
	assert.Equal(t, raw, back)

	for _, v := range []any{"text", 7, []int{1}, nil, struct{}{}} {
		_, err := c.Marshal(v)
		assert.Error(t, err, "%T", v)
	}
	var s string
	assert.Error(t, c.Unmarshal([]byte("x"), &s))
	assert.Error(t, c.Unmarshal([]byte("x"), []byte{}), "not a pointer")
	assert.Error(t, c.Unmarshal([]byte("x"), (*[]byte)(nil)))

	ctx := context.Background()
	d := memory.New(nil)
	t.Cleanup(func() { _ = d.Close() })
	q, err := gosk.NewQueue[string](d, "texts", &gosk.QueueOptions{Codec: c})
	require.NoError(t, err)
	_, err = q.Create(ctx, "not bytes", nil)
	require.ErrorContains(t, err, "BytesCodec")
	n, err := q.Count(ctx)
	require.NoError(t, err)
	assert.Zero(t, n[gosk.StatePending], "nothing stored")
}
