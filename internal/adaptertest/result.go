package adaptertest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
)

// ResultSurvivesReopen completes a task with a result through first and
// closes it, then reads the task through second, a driver opened
// afterwards on the same store (reopen makes it): the result is stored in
// the store, not kept by the driver that wrote it. first must have no
// other task in queue "results".
func ResultSurvivesReopen(t *testing.T, first driver.Driver, reopen func() driver.Driver) {
	t.Helper()
	ctx := context.Background()
	res, err := first.Create(ctx, []driver.NewTask{{Queue: "results", MaxAttempts: 1}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	claimed, err := first.Claim(ctx, driver.ClaimParams{Queue: "results", Limit: 1, Rule: driver.Fifo, Lease: time.Minute})
	require.NoError(t, err)
	require.Len(t, claimed, 1)
	want := []byte("stored\x00with the task\xff")
	errs, err := first.Finish(ctx, []driver.Outcome{{Lease: claimed[0].Lease, Kind: driver.Complete, Result: want}})
	require.NoError(t, err)
	require.NoError(t, errs[0])
	require.NoError(t, first.Close())

	second := reopen()
	rec, err := second.Get(ctx, res[0].ID)
	require.NoError(t, err)
	require.Equal(t, driver.StateCompleted, rec.State)
	require.Equal(t, want, rec.Result, "a driver opened later on the same store reads the result")
	if a, ok := second.(driver.Admin); ok {
		recs, err := a.List(ctx, driver.ListParams{Queue: "results"})
		require.NoError(t, err)
		require.Len(t, recs, 1)
		require.Equal(t, want, recs[0].Result, "List of a driver opened later reads the result")
	}
}
