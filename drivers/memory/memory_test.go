package memory_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivers/memory"
	"github.com/gosk/gosk/drivertest"
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

// TestDriver runs the conformance suite on the memory driver.
func TestDriver(t *testing.T) {
	drivertest.Run(t, drivertest.Harness{
		New: func(testing.TB) driver.Driver { return memory.New(nil) },
		NewClocked: func(_ testing.TB, clock func() time.Time) driver.Driver {
			return memory.New(&memory.Options{Clock: clock})
		},
		Tx: func(_ testing.TB, d driver.Driver) (driver.Creator, func() error, func() error) {
			m := d.(*memory.Driver)
			tx := m.Begin()
			return m.Tx(tx), tx.Commit, tx.Rollback
		},
	})
}

// BenchmarkDriver runs the shared driver benchmarks on the memory driver.
func BenchmarkDriver(b *testing.B) {
	drivertest.RunBenchmarks(b, drivertest.Harness{
		New: func(testing.TB) driver.Driver { return memory.New(nil) },
	})
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

// Tx refuses a transaction it cannot stage in: none, or another driver's.
func TestTxOfAnotherDriver(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	a, b := memory.New(nil), memory.New(nil)
	t.Cleanup(func() { _ = a.Close(); _ = b.Close() })
	task := []driver.NewTask{{Queue: "q", MaxAttempts: 1}}

	_, err := a.Tx(nil).Create(ctx, task)
	require.ErrorIs(t, err, driver.ErrInvalid)
	_, err = a.Tx(b.Begin()).Create(ctx, task)
	require.ErrorIs(t, err, driver.ErrInvalid)

	tx := a.Begin()
	res, err := a.Tx(tx).Create(ctx, task)
	require.NoError(t, err)
	require.NoError(t, tx.Commit())
	_, err = a.Get(ctx, res[0].ID)
	require.NoError(t, err)
}
