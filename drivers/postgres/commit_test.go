package postgres_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
)

// TestCancelledCreateSaysWhatItStored cancels Creates of large batches at
// random points of their run, from before the insert to after the
// commit, and checks each answer against the store: a Create that
// returned an error stored none of its batch, and one that returned none
// stored all of it. A batch inserted by one statement, which commits by
// itself, was stored by the server while its result rows travelled back,
// and a context that ended then made the call return the context's error
// for a stored batch (about one in seven cancelled calls here), telling
// its caller, who would create the batch again, that nothing was stored.
func TestCancelledCreateSaysWhatItStored(t *testing.T) {
	t.Parallel()
	d := newDriver(t)
	ctx := context.Background()
	batch := func(n int, keyed bool) []driver.NewTask {
		tasks := make([]driver.NewTask, 2000)
		for i := range tasks {
			tasks[i] = driver.NewTask{Queue: "q", Payload: []byte(strconv.Itoa(n)), MaxAttempts: 1}
			if keyed && i%2 == 0 {
				tasks[i].UniqueKey = fmt.Sprintf("%d-%d", n, i)
			}
		}
		return tasks
	}
	// How long a Create of a batch takes on this machine now: the
	// cancellations fall within it.
	start := time.Now()
	_, err := d.Create(ctx, batch(0, false))
	require.NoError(t, err)
	took := time.Since(start)

	const calls = 60
	answers := make(map[string]error, calls)
	for n := 1; n <= calls; n++ {
		cctx, cancel := context.WithTimeout(ctx, took/5+rand.N(took*3/2))
		_, err := d.Create(cctx, batch(n, n%2 == 0))
		cancel()
		answers[strconv.Itoa(n)] = err
	}
	stored := map[string]int{}
	var after int64
	for {
		recs, err := d.List(ctx, driver.ListParams{Queue: "q", AfterID: after, Limit: 10000})
		require.NoError(t, err)
		if len(recs) == 0 {
			break
		}
		for _, r := range recs {
			stored[string(r.Payload)]++
			after = r.ID
		}
	}
	failed := 0
	for n, err := range answers {
		if err != nil {
			failed++
			require.Zero(t, stored[n], "rule: a Create that returned an error (%v) stored none of its batch", err)
		} else {
			require.Equal(t, 2000, stored[n], "a Create that returned no error stored its whole batch")
		}
	}
	t.Logf("%d of %d Creates cancelled (one uncancelled took %v)", failed, calls, took)
}
