package gosk_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivers/memory"
)

// touchy is a payload whose UnmarshalJSON panics on a payload it does not
// expect, as hand-written decoders of odd input do.
type touchy struct{ N int }

func (t *touchy) UnmarshalJSON(b []byte) error {
	if string(b) == `"boom"` {
		panic("touchy: no N in " + string(b))
	}
	var v struct{ N int }
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	t.N = v.N
	return nil
}

// TestDecodePanicIsAnError checks that a payload whose decoding panics is
// an error of Get and Decode, as one that does not decode is, and not a
// panic of the caller (package worker decodes on its own goroutine).
func TestDecodePanicIsAnError(t *testing.T) {
	t.Parallel()
	d := memory.New(nil)
	t.Cleanup(func() { _ = d.Close() })
	q, err := gosk.NewQueue[touchy](d, "touchy", nil)
	require.NoError(t, err)
	ctx := context.Background()
	res, err := d.Create(ctx, []driver.NewTask{{Queue: "touchy", Payload: []byte(`"boom"`), MaxAttempts: 1}})
	require.NoError(t, err)
	var task *gosk.Task[touchy]
	require.NotPanics(t, func() { task, err = q.Get(ctx, res[0].ID) })
	require.Error(t, err)
	assert.Contains(t, err.Error(), "the codec panicked")
	assert.Contains(t, err.Error(), "touchy: no N in")
	require.NotNil(t, task, "the task comes back with its zero payload, as for any payload that does not decode")
	assert.Equal(t, res[0].ID, task.ID)

	good, err := q.Create(ctx, touchy{N: 7}, nil)
	require.NoError(t, err)
	task, err = q.Get(ctx, good)
	require.NoError(t, err)
	assert.Equal(t, 7, task.Payload.N)
}

// prickly is a payload whose MarshalJSON panics on a value it does not
// expect, as hand-written encoders of odd values do.
type prickly struct{ Bad bool }

func (p prickly) MarshalJSON() ([]byte, error) {
	if p.Bad {
		panic("prickly: cannot encode a bad value")
	}
	return []byte(`{}`), nil
}

// TestEncodePanicIsAnError checks that a payload whose encoding panics is
// refused by Create with an error, as one that does not encode is.
func TestEncodePanicIsAnError(t *testing.T) {
	t.Parallel()
	d := memory.New(nil)
	t.Cleanup(func() { _ = d.Close() })
	q, err := gosk.NewQueue[prickly](d, "prickly", nil)
	require.NoError(t, err)
	require.NotPanics(t, func() { _, err = q.Create(context.Background(), prickly{Bad: true}, nil) })
	require.Error(t, err)
	assert.Contains(t, err.Error(), "encode payload")
	assert.Contains(t, err.Error(), "the codec panicked")
	n, err := q.Count(context.Background())
	require.NoError(t, err)
	assert.Zero(t, n[gosk.StatePending], "nothing stored")
}
