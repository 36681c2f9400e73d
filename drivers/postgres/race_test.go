package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
)

// Two finishes of one lease racing: one applies, the other is told the task
// is already final (ErrTaskConflict), never ErrLeaseLost, although its
// statement may have started before the winner committed.
func TestRacingFinishesOfOneLease(t *testing.T) {
	t.Parallel()
	d := newDriver(t)
	ctx := context.Background()
	for range 40 {
		_, err := d.Create(ctx, []driver.NewTask{task("race")})
		require.NoError(t, err)
		got, err := d.Claim(ctx, driver.ClaimParams{Queue: "race", Rule: driver.Fifo, Lease: time.Minute})
		require.NoError(t, err)
		require.Len(t, got, 1)
		var wg sync.WaitGroup
		results := make([]error, 2)
		for i := range results {
			wg.Go(func() {
				errs, err := d.Finish(ctx, []driver.Outcome{{Lease: got[0].Lease, Kind: driver.Complete}})
				require.NoError(t, err)
				results[i] = errs[0]
			})
		}
		wg.Wait()
		winners := 0
		for _, err := range results {
			if err == nil {
				winners++
				continue
			}
			require.ErrorIs(t, err, driver.ErrTaskConflict)
		}
		require.Equal(t, 1, winners)
	}
}

// Concurrent creates with one unique key store one task; every other gets
// its ID and ErrDuplicate.
func TestRacingUniqueCreates(t *testing.T) {
	t.Parallel()
	d := newDriver(t)
	ctx := context.Background()
	for round := range 10 {
		n := task("uniq")
		n.UniqueKey = "k" + string(rune('a'+round))
		var wg sync.WaitGroup
		results := make([]driver.CreateResult, 6)
		for i := range results {
			wg.Go(func() {
				res, err := d.Create(ctx, []driver.NewTask{n})
				require.NoError(t, err)
				results[i] = res[0]
			})
		}
		wg.Wait()
		var stored int64
		for _, r := range results {
			if r.Err == nil {
				require.Zero(t, stored, "two tasks stored for one key")
				stored = r.ID
			}
		}
		require.NotZero(t, stored)
		for _, r := range results {
			require.Equal(t, stored, r.ID)
			if r.Err != nil {
				require.ErrorIs(t, r.Err, driver.ErrDuplicate)
			}
		}
	}
}
