package sqlite_test

import (
	"context"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
	gosksqlite "github.com/gosk/gosk/drivers/sqlite"
)

// A delay that takes run-at past 2262, the last time Unix nanoseconds
// hold (as gosk.CreateOptions.RunAt far in the future does), keeps the
// task waiting: run-at is held at that last time instead of wrapping round
// to 1734, which made the task available at once. The same holds for a
// release's delay, a claim's lease and a ping's extension.
func TestDelayPast2262KeepsTheTaskWaiting(t *testing.T) {
	ctx := context.Background()
	d, err := gosksqlite.Open(ctx, filepath.Join(t.TempDir(), "tasks.db"), nil)
	require.NoError(t, err)
	defer d.Close()
	for _, delay := range []time.Duration{math.MaxInt64, 250 * 365 * 24 * time.Hour} {
		res, err := d.Create(ctx, []driver.NewTask{{Queue: "far", MaxAttempts: 1, Delay: delay}})
		require.NoError(t, err)
		rec, err := d.Get(ctx, res[0].ID)
		require.NoError(t, err)
		require.True(t, rec.RunAt.After(time.Now().Add(200*365*24*time.Hour)), "delay %v gave run-at %v", delay, rec.RunAt)
		claimed, err := d.Claim(ctx, driver.ClaimParams{Queue: "far", Rule: driver.Fifo, Lease: time.Minute})
		require.NoError(t, err)
		require.Empty(t, claimed, "a task delayed by %v was claimed at once", delay)
	}

	_, err = d.Create(ctx, []driver.NewTask{{Queue: "long", MaxAttempts: 2}})
	require.NoError(t, err)
	claimed, err := d.Claim(ctx, driver.ClaimParams{Queue: "long", Rule: driver.Fifo, Lease: math.MaxInt64})
	require.NoError(t, err)
	require.Len(t, claimed, 1)
	require.True(t, claimed[0].Task.LeaseExpiresAt.After(time.Now().Add(200*365*24*time.Hour)), "lease ends %v", claimed[0].Task.LeaseExpiresAt)
	again, err := d.Claim(ctx, driver.ClaimParams{Queue: "long", Rule: driver.Fifo, Lease: time.Minute})
	require.NoError(t, err)
	require.Empty(t, again, "a lease of centuries ran out at once")
	errs, err := d.Ping(ctx, []driver.Lease{claimed[0].Lease}, math.MaxInt64)
	require.NoError(t, err)
	require.NoError(t, errs[0])
	rec, err := d.Get(ctx, claimed[0].Task.ID)
	require.NoError(t, err)
	require.True(t, rec.LeaseExpiresAt.After(time.Now().Add(200*365*24*time.Hour)), "pinged lease ends %v", rec.LeaseExpiresAt)
	errs, err = d.Finish(ctx, []driver.Outcome{{Lease: claimed[0].Lease, Kind: driver.Release, Delay: math.MaxInt64}})
	require.NoError(t, err)
	require.NoError(t, errs[0])
	again, err = d.Claim(ctx, driver.ClaimParams{Queue: "long", Rule: driver.Fifo, Lease: time.Minute})
	require.NoError(t, err)
	require.Empty(t, again, "a task released for centuries was claimed at once")
}
