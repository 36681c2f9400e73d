package memory

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/gosk/gosk/driver"
)

// checkFinalIndex fails t unless every queue's final index holds exactly
// its final tasks, in (finalised-at, ID) order.
func checkFinalIndex(t *testing.T, d *Driver, step int) {
	t.Helper()
	for name, q := range d.queues {
		var want []*task
		for _, tk := range q.all {
			if tk.rec.State.Final() {
				want = append(want, tk)
			}
		}
		slices.SortFunc(want, byFinalized)
		var got []*task
		q.final.ascend(func(tk *task) bool { got = append(got, tk); return true })
		if !slices.Equal(got, want) || q.final.len() != len(want) {
			t.Fatalf("step %d, queue %s: final index holds %d tasks (len %d), want the %d final tasks in order", step, name, len(got), q.final.len(), len(want))
		}
	}
}

// TestFinalIndexFollowsEveryPath finalises tasks by every path (finish of
// each kind, cancel, a last attempt's lease running out), retries some
// and purges with random ages and limits, on a clock that moves back as
// well as forward, and checks after each step that the final index holds
// the final tasks in Purge's order and that Purge deleted the oldest.
func TestFinalIndexFollowsEveryPath(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	d := New(&Options{Clock: func() time.Time { return now }})
	defer d.Close()
	queues := []string{"a", "b"}
	for step := range 400 {
		now = now.Add(time.Duration(rng.IntN(20)-5) * time.Second)
		q := queues[rng.IntN(len(queues))]
		switch rng.IntN(6) {
		case 0, 1:
			tasks := make([]driver.NewTask, 1+rng.IntN(5))
			for i := range tasks {
				tasks[i] = driver.NewTask{Queue: q, Payload: []byte("x"), MaxAttempts: 1 + rng.IntN(2)}
			}
			if _, err := d.Create(ctx, tasks); err != nil {
				t.Fatal(err)
			}
		case 2:
			claimed, err := d.Claim(ctx, driver.ClaimParams{Queue: q, Rule: driver.Fifo, Limit: 3, Lease: time.Duration(1+rng.IntN(10)) * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			var outs []driver.Outcome
			for _, c := range claimed {
				if rng.IntN(3) > 0 { // else its lease runs out
					kinds := []driver.OutcomeKind{driver.Complete, driver.Cancel, driver.Fail, driver.Release}
					outs = append(outs, driver.Outcome{Lease: c.Lease, Kind: kinds[rng.IntN(len(kinds))], Message: "m"})
				}
			}
			if len(outs) > 0 {
				if _, err := d.Finish(ctx, outs); err != nil {
					t.Fatal(err)
				}
			}
		case 3:
			if _, err := d.Cancel(ctx, []int64{1 + rng.Int64N(d.lastID+1)}); err != nil {
				t.Fatal(err)
			}
		case 4:
			if _, err := d.Retry(ctx, []int64{1 + rng.Int64N(d.lastID+1)}); err != nil {
				t.Fatal(err)
			}
		case 5:
			age := time.Duration(rng.IntN(60)) * time.Second
			limit := 1 + rng.IntN(4)
			var want []int64
			if st := d.queues[q]; st != nil {
				var old []*task
				for _, tk := range st.all {
					if tk.rec.State.Final() && !tk.rec.FinalizedAt.After(now.Add(-age)) {
						old = append(old, tk)
					}
				}
				slices.SortFunc(old, byFinalized)
				for _, tk := range old[:min(limit, len(old))] {
					want = append(want, tk.rec.ID)
				}
			}
			n, err := d.Purge(ctx, driver.PurgeParams{Queue: q, OlderThan: age, Limit: limit})
			if err != nil {
				t.Fatal(err)
			}
			if n != len(want) {
				t.Fatalf("step %d: Purge deleted %d, want %d", step, n, len(want))
			}
			for _, id := range want {
				if _, err := d.Get(ctx, id); err == nil {
					t.Fatalf("step %d: task %d, among the oldest final, was not purged", step, id)
				}
			}
		}
		checkFinalIndex(t, d, step)
	}
}
