package drivertest

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
)

// Sizes of ClaimRoundsHandOutEachTaskOnce. A round creates a few fresh
// tasks and lets every claimer claim one at a time, in waves that start
// together, until a wave finds nothing. Rounds go on until the claims that
// overlapped another claim number minOverlaps, so that a fault in one
// overlapping claim of fifty fails every run (it escapes with a chance of
// (49/50)^700, under 1 in 10^6), not most runs: a store with network round trips gets
// there in a few dozen rounds, a fast in-process one on few cores needs
// more, and maxRounds bounds the subtest on a machine that cannot overlap
// claims at all.
const (
	minOverlaps   = 700
	maxRounds     = 400
	roundTasks    = 24
	roundClaimers = 8
	// roundsPerQueue rounds share a queue, so that a claim that hands out
	// a task leased in an earlier round is seen too.
	roundsPerQueue = 8
)

// claimWave starts one claim of one task per claimer at the same moment
// and returns what each got. It adds to overlaps the claims that were
// under way at the same time as another.
func (f *fixture) claimWave(q string, overlaps *atomic.Int64) ([][]driver.ClaimedTask, []error) {
	var (
		inflight atomic.Int32
		wg       sync.WaitGroup
		start    = make(chan struct{})
		got      = make([][]driver.ClaimedTask, roundClaimers)
		errs     = make([]error, roundClaimers)
	)
	for w := range roundClaimers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			n := inflight.Add(1)
			got[w], errs[w] = f.d.Claim(f.ctx, driver.ClaimParams{Queue: q, Limit: 1, Rule: driver.Fifo, Lease: longLease})
			if n > 1 || inflight.Load() > 1 {
				overlaps.Add(1)
			}
			inflight.Add(-1)
		}()
	}
	close(start)
	wg.Wait()
	return got, errs
}

var concurrencyRules = []rule{
	{name: "ClaimRoundsHandOutEachTaskOnce", serial: true, test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		var q string
		type lease struct {
			claimer int
			l       driver.Lease
		}
		handed := map[int64][]lease{} // every hand-out of every task, over all rounds
		var created []int64
		claims := 0
		var overlaps atomic.Int64
		rounds := 0
		for round := 0; overlaps.Load() < minOverlaps && round < maxRounds; round++ {
			rounds++
			if round%roundsPerQueue == 0 {
				// A fresh queue now and then keeps each claim's work small
				// (a store may scan the running tasks of its queue).
				q = f.queue()
			}
			ids := f.createN(q, roundTasks)
			created = append(created, ids...)
			for wave := 0; ; wave++ {
				got, errs := f.claimWave(q, &overlaps)
				empty := true
				for w := range roundClaimers {
					require.NoError(t, errs[w], "round %d, wave %d, claimer %d: concurrent claims must not fail", round, wave, w)
					claims++
					for _, c := range got[w] {
						empty = false
						handed[c.Task.ID] = append(handed[c.Task.ID], lease{w, c.Lease})
					}
				}
				if empty {
					break
				}
				require.Less(t, wave, roundTasks, "round %d: the claims keep returning tasks after every task was handed out", round)
			}
			for _, id := range ids {
				if !assert.Len(t, handed[id], 1, "rule: two claims never return the same task while its lease holds; in round %d task %d was handed out %d times: %v", round, id, len(handed[id]), handed[id]) {
					t.FailNow()
				}
			}
			require.Len(t, handed, len(created), "rule: claims hand out only available tasks: round %d handed out a task of an earlier round, whose lease still held", round)
		}
		t.Logf("%d claims, %d of them overlapping another, in %d rounds of %d claimers over %d tasks each", claims, overlaps.Load(), rounds, roundClaimers, roundTasks)
		// Each task was handed out once; its one lease must still hold, and
		// no two hand-outs share a lease.
		seen := map[driver.Lease]int64{}
		leases := make([]driver.Lease, 0, len(created))
		for _, id := range created {
			l := handed[id][0].l
			require.Equal(t, id, l.TaskID, "a claimed task's lease must name the task")
			if prev, dup := seen[l]; dup {
				t.Fatalf("rule: every claim gets its own lease; tasks %d and %d got the same lease %v", prev, id, l)
			}
			seen[l] = id
			leases = append(leases, l)
		}
		for i := 0; i < len(leases); i += 100 {
			batch := leases[i:min(i+100, len(leases))]
			errs, err := f.d.Ping(f.ctx, batch, longLease)
			require.NoError(t, err, "Ping")
			for j, e := range errs {
				assert.NoError(t, e, fmt.Sprintf("rule: the one claim that took task %d still holds its lease", batch[j].TaskID))
			}
		}
		f.claimNone(q, "every task of the last queue is leased")
	}},
}
