package drivertest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
)

var claimRules = []rule{
	{name: "LeasesTaskAndCountsAttempt", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		id := f.create(task(q, "x"))[0]
		c := f.claimOne(q, longLease)
		require.Equal(t, id, c.Task.ID)
		assert.Equal(t, 1, c.Task.Attempt, "the claim counts one attempt")
		assert.Equal(t, []byte("x"), c.Task.Payload, "Claim returns the payload")
		assert.False(t, c.Task.LeaseExpiresAt.IsZero(), "a claimed task has a lease expiry")
		r := f.get(id)
		assert.Equal(t, driver.StateRunning, r.State, "Get shows the claimed task running")
		assert.Equal(t, 1, r.Attempt, "Get shows the counted attempt")
		assert.WithinDuration(t, r.CreatedAt.Add(longLease), r.LeaseExpiresAt, 30*time.Second, "the lease runs until now plus the lease length")
		f.claimNone(q, "the only task is leased")
	}},
	{name: "ReturnsTheStoredRecord", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		id := f.create(driver.NewTask{Queue: q, Payload: []byte("p"), Priority: 3, MaxAttempts: 4, UniqueKey: "k"})[0]
		c := f.claimOne(q, longLease)
		require.Equal(t, id, c.Task.ID)
		f.unchanged(f.get(id), c.Task, "rule: Claim returns the task's whole record as it stands after the claim, as Get reads it")
	}},
	{name: "EmptyQueueReturnsNothing", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		got, err := f.d.Claim(f.ctx, driver.ClaimParams{Queue: f.queue(), Rule: driver.Fifo, Limit: 5, Lease: longLease})
		require.NoError(t, err, "a claim that finds nothing is not an error")
		require.Empty(t, got)
	}},
	{name: "LimitBoundsBatchAndZeroMeansOne", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		f.createN(q, 10)
		assert.Len(t, f.claim(q, driver.Fifo, 0, longLease), 1, "limit 0 claims one task")
		assert.Len(t, f.claim(q, driver.Fifo, 4, longLease), 4, "limit 4 claims four tasks")
		assert.Len(t, f.claim(q, driver.Fifo, 100, longLease), 5, "a claim takes what is left, up to its limit")
	}},
	{name: "PendingTaskHandedOutWhateverItsAttempts", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		last := task(q, "one attempt")
		last.MaxAttempts = 1
		id := f.create(last)[0]
		c := f.claimOne(q, longLease)
		require.NoError(t, f.finish(driver.Outcome{Lease: c.Lease, Kind: driver.Release, Message: "released on its last attempt"}))
		require.Equal(t, 1, f.get(id).Attempt, "the release used the attempt")
		again := f.claim(q, driver.Fifo, 1, longLease)
		require.Equal(t, []int64{id}, ids(again), "rule: a pending task is handed out whatever its attempt count, also once it used up its attempts")
		assert.Equal(t, 2, again[0].Task.Attempt, "rule: the claim counts its attempt, past MaxAttempts")
	}},
	{name: "ConcurrentClaimersNeverShareLiveLease", serial: true, test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		const tasks, claimers = 300, 16
		for i := 0; i < tasks; i += 100 {
			f.createN(q, 100)
		}
		var (
			mu    sync.Mutex
			owner = map[int64]int{}
			dup   []string
			errs  []error
			wg    sync.WaitGroup
			start = make(chan struct{})
		)
		for w := range claimers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				for {
					mu.Lock()
					stop := len(owner) >= tasks || len(dup) > 0
					mu.Unlock()
					if stop {
						return
					}
					got, err := f.d.Claim(f.ctx, driver.ClaimParams{Queue: q, Limit: 1 + w%4, Rule: driver.Fifo, Lease: longLease})
					if err != nil {
						mu.Lock()
						errs = append(errs, err)
						mu.Unlock()
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, c := range got {
						if prev, ok := owner[c.Task.ID]; ok {
							dup = append(dup, fmt.Sprintf("task %d to claimers %d and %d", c.Task.ID, prev, w))
						}
						owner[c.Task.ID] = w
					}
					mu.Unlock()
				}
			}()
		}
		close(start)
		wg.Wait()
		require.Empty(t, errs, "concurrent claims must not fail")
		require.Empty(t, dup, "two claims returned the same task while its lease held")
		require.Len(t, owner, tasks, "concurrent claimers must together claim every task")
		// Every lease still holds, so however the race above went, one more
		// claim must find nothing.
		for _, limit := range []int{1, 4} {
			got, err := f.d.Claim(f.ctx, driver.ClaimParams{Queue: q, Limit: limit, Rule: driver.Fifo, Lease: longLease})
			require.NoError(t, err)
			require.Empty(t, got, "a claim returned a task whose lease still held")
		}
	}},
}

var orderRules = []rule{
	{name: "FifoOldestFirst", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		want := f.createN(q, 3)
		want = append(want, f.create(task(q, "a"))...)
		want = append(want, f.create(task(q, "b"))...)
		var got []int64
		for range want {
			got = append(got, f.claimOne(q, longLease).Task.ID)
		}
		require.Equal(t, want, got, "Fifo hands out the oldest task first")
	}},
	{name: "LifoNewestFirst", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		created := f.createN(q, 3)
		created = append(created, f.create(task(q, "a"))...)
		created = append(created, f.create(task(q, "b"))...)
		var got []int64
		for range created {
			c := f.claim(q, driver.Lifo, 1, longLease)
			require.Len(t, c, 1)
			got = append(got, c[0].Task.ID)
		}
		want := make([]int64, len(created))
		for i, id := range created {
			want[len(created)-1-i] = id
		}
		require.Equal(t, want, got, "Lifo hands out the newest task first")
	}},
	{name: "PriorityHighestFirstFifoAmongEquals", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		prios := []int{0, 5, -3, 5, 10, driver.MaxPriority, driver.MinPriority, 0}
		tasks := make([]driver.NewTask, len(prios))
		for i, p := range prios {
			tasks[i] = task(q, fmt.Sprint(i))
			tasks[i].Priority = p
		}
		id := f.create(tasks...)
		want := []int64{id[5], id[4], id[1], id[3], id[0], id[7], id[2], id[6]}
		var got []int64
		for range want {
			c := f.claim(q, driver.Priority, 1, longLease)
			require.Len(t, c, 1)
			got = append(got, c[0].Task.ID)
		}
		require.Equal(t, want, got, "Priority hands out the highest priority first, oldest first among equals")
	}},
	{name: "BatchClaimReturnsRuleOrder", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		for _, rule := range []driver.PriorityRule{driver.Fifo, driver.Lifo, driver.Priority} {
			q := f.queue()
			tasks := make([]driver.NewTask, 6)
			for i := range tasks {
				tasks[i] = task(q, fmt.Sprint(i))
				tasks[i].Priority = i % 3
			}
			id := f.create(tasks...)
			var want []int64
			switch rule {
			case driver.Fifo:
				want = id[:4]
			case driver.Lifo:
				want = []int64{id[5], id[4], id[3], id[2]}
			case driver.Priority:
				want = []int64{id[2], id[5], id[1], id[4]}
			}
			got := f.claim(q, rule, 4, longLease)
			require.Equal(t, want, ids(got), "a batch claim under %v returns its tasks in %v order", rule, rule)
		}
	}},
}

var queueRules = []rule{
	{name: "ClaimsKeepQueuesApart", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		a, b, empty := f.queue(), f.queue(), f.queue()
		inA := f.createN(a, 3)
		inB := f.create(task(b, "b"), task(b, "b"))
		f.claimNone(empty, "a queue with no tasks has none to give, whatever other queues hold")
		gotA := f.claim(a, driver.Fifo, 10, longLease)
		assert.ElementsMatch(t, inA, ids(gotA), "a claim takes only its own queue's tasks")
		gotB := f.claim(b, driver.Fifo, 10, longLease)
		assert.ElementsMatch(t, inB, ids(gotB), "a claim takes only its own queue's tasks")
	}},
}
