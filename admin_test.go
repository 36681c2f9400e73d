package gosk_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/drivers/memory"
)

// TestAdminHelpersActOnTheirQueueOnly checks that Retry and Cancel of a
// Queue refuse a task of another queue, as Get does, and leave it as it
// was, while they act on the queue's own tasks named in the same call.
func TestAdminHelpersActOnTheirQueueOnly(t *testing.T) {
	t.Parallel()
	d := memory.New(nil)
	t.Cleanup(func() { _ = d.Close() })
	emails, err := gosk.NewQueue[email](d, "emails", nil)
	require.NoError(t, err)
	payments, err := gosk.NewQueue[int](d, "payments", nil)
	require.NoError(t, err)
	ctx := context.Background()
	mine, err := emails.Create(ctx, email{To: "a"}, nil)
	require.NoError(t, err)
	theirs, err := payments.Create(ctx, 100, nil)
	require.NoError(t, err)

	err = emails.Cancel(ctx, theirs, mine)
	require.ErrorIs(t, err, gosk.ErrTaskNotFound, "a task of another queue is not the queue's to cancel")
	assert.ErrorContains(t, err, `belongs to queue "payments"`)
	p, err := payments.Get(ctx, theirs)
	require.NoError(t, err)
	assert.Equal(t, gosk.StatePending, p.State, "the other queue's task was left as it was")
	e, err := emails.Get(ctx, mine)
	require.NoError(t, err)
	assert.Equal(t, gosk.StateCancelled, e.State, "the queue's own task named in the same call was cancelled")

	require.NoError(t, payments.Cancel(ctx, theirs))
	err = emails.Retry(ctx, theirs)
	require.ErrorIs(t, err, gosk.ErrTaskNotFound, "a task of another queue is not the queue's to retry")
	p, err = payments.Get(ctx, theirs)
	require.NoError(t, err)
	assert.Equal(t, gosk.StateCancelled, p.State, "the other queue's task was not retried")
	require.ErrorIs(t, emails.Retry(ctx, mine, mine), gosk.ErrInvalid, "one task named twice")
}
