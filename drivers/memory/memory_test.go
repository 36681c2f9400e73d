package memory_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivers/memory"
)

// TestClockDrivesLeases shows that the injected clock alone decides lease
// expiry and run-at: nothing here waits.
func TestClockDrivesLeases(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	d := memory.New(&memory.Options{Clock: func() time.Time { return now }})
	defer d.Close()

	res, err := d.Create(ctx, []driver.NewTask{
		{Queue: "q", Payload: []byte("later"), MaxAttempts: 2, Delay: time.Minute},
		{Queue: "q", Payload: []byte("now"), MaxAttempts: 2},
	})
	require.NoError(t, err)

	claimed, err := d.Claim(ctx, driver.ClaimParams{Queue: "q", Limit: 10, Rule: driver.Fifo, Lease: time.Second})
	require.NoError(t, err)
	require.Len(t, claimed, 1, "the delayed task is not available yet")
	require.Equal(t, res[1].ID, claimed[0].Task.ID)

	now = now.Add(2 * time.Minute) // the lease lapses, the delay passes
	again, err := d.Claim(ctx, driver.ClaimParams{Queue: "q", Limit: 10, Rule: driver.Fifo, Lease: time.Second})
	require.NoError(t, err)
	require.Len(t, again, 2)

	errs, err := d.Finish(ctx, []driver.Outcome{{Lease: claimed[0].Lease, Kind: driver.Complete}})
	require.NoError(t, err)
	require.ErrorIs(t, errs[0], driver.ErrLeaseLost, "the first claim's lease was taken by the second claim")

	now = now.Add(time.Minute) // both leases lapse; "now" was on its last attempt
	third, err := d.Claim(ctx, driver.ClaimParams{Queue: "q", Limit: 10, Rule: driver.Fifo, Lease: time.Second})
	require.NoError(t, err)
	require.Len(t, third, 1)
	require.Equal(t, res[0].ID, third[0].Task.ID, "only the task with an attempt left is handed out")
	require.Equal(t, 2, third[0].Task.Attempt)
	rec, err := d.Get(ctx, res[1].ID)
	require.NoError(t, err)
	require.Equal(t, driver.StateFailed, rec.State)
	require.Equal(t, driver.LeaseExpiredMessage, rec.LastError)
}

func TestMaxPayloadLenOption(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	d := memory.New(&memory.Options{MaxPayloadLen: 8})
	defer d.Close()
	_, err := d.Create(ctx, []driver.NewTask{{Queue: "q", Payload: make([]byte, 8), MaxAttempts: 1}})
	require.NoError(t, err, "a payload of exactly Options.MaxPayloadLen is stored")
	_, err = d.Create(ctx, []driver.NewTask{{Queue: "q", Payload: make([]byte, 9), MaxAttempts: 1}})
	require.ErrorIs(t, err, driver.ErrInvalid, "one byte over Options.MaxPayloadLen is refused")
	assert.Contains(t, err.Error(), "limit of 8 bytes")

	bad := memory.New(&memory.Options{MaxPayloadLen: -1})
	defer bad.Close()
	_, err = bad.Create(ctx, []driver.NewTask{{Queue: "q", MaxAttempts: 1}})
	require.ErrorIs(t, err, driver.ErrInvalid, "an out-of-range option fails every Create")
	assert.Contains(t, err.Error(), "Options.MaxPayloadLen")
}
