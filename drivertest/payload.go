package drivertest

import (
	"bytes"
	"crypto/rand"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
)

// lifecycleSizes are payload lengths on either side of the thresholds a
// store may keep payloads by (a length from which it keeps them apart
// from their records, a page size): a store that handles the sizes on one
// side differently must still hand back every byte.
var lifecycleSizes = []int{1, 255, 256, 1023, 1024, 1025, 4095, 4096, 4097, 10_000, 70_000, 1 << 20}

// everySizeSurvivesTheLifecycle checks that a payload of every size in
// lifecycleSizes reads back whole from Get, Claim and List at each step of
// its task's life: pending, running, final (failed or cancelled), and
// pending again after a retry.
func everySizeSurvivesTheLifecycle(t *testing.T, s *suite) {
	f := s.fresh(t)
	q := f.queue()
	want := make(map[int64][]byte)
	tasks := make([]driver.NewTask, len(lifecycleSizes))
	for i, n := range lifecycleSizes {
		p := make([]byte, n)
		_, _ = rand.Read(p)
		tasks[i] = driver.NewTask{Queue: q, Payload: p, MaxAttempts: 2}
	}
	for i, id := range f.create(tasks...) {
		want[id] = tasks[i].Payload
	}
	alone := driver.NewTask{Queue: q, Payload: bytes.Repeat([]byte{0x5a}, 2048), MaxAttempts: 2}
	want[f.create(alone)[0]] = alone.Payload
	check := func(step string, id int64, got []byte) {
		t.Helper()
		require.True(t, bytes.Equal(want[id], got), "%s: task %d's payload of %d bytes read back as %d bytes, or changed",
			step, id, len(want[id]), len(got))
	}
	checkStored := func(step string) {
		t.Helper()
		for id := range want {
			check(step+", Get", id, f.get(id).Payload)
		}
		if a, ok := f.d.(driver.Admin); ok {
			recs, err := a.List(f.ctx, driver.ListParams{Queue: q, Limit: len(want)})
			require.NoError(t, err, "List")
			require.Len(t, recs, len(want), "List of the queue")
			for _, r := range recs {
				check(step+", List", r.ID, r.Payload)
			}
		}
	}
	claimAll := func(step string) []driver.ClaimedTask {
		t.Helper()
		got := f.claim(q, driver.Fifo, len(want), longLease)
		require.Len(t, got, len(want), "%s: Claim of every task", step)
		for _, c := range got {
			check(step+", Claim", c.Task.ID, c.Task.Payload)
		}
		return got
	}

	checkStored("pending")
	claimed := claimAll("first claim")
	checkStored("running")
	// Failed and cancelled, the states a retry takes tasks from.
	outcomes := make([]driver.Outcome, len(claimed))
	for i, c := range claimed {
		outcomes[i] = outcome(c.Lease, []driver.OutcomeKind{driver.Fail, driver.Cancel}[i%2])
	}
	errs, err := f.d.Finish(f.ctx, outcomes)
	require.NoError(t, err, "Finish")
	for i, e := range errs {
		require.NoError(t, e, "Finish: outcome %d", i)
	}
	checkStored("final")
	a, ok := f.d.(driver.Admin)
	if !ok {
		return
	}
	ids := make([]int64, 0, len(want))
	for id := range want {
		ids = append(ids, id)
	}
	errs, err = a.Retry(f.ctx, ids)
	require.NoError(t, err, "Retry")
	for i, e := range errs {
		require.NoError(t, e, "Retry of task %d", ids[i])
	}
	checkStored("retried")
	claimAll("claim after the retry")
}
