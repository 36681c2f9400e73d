package drivertest

import (
	"bytes"
	"cmp"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
)

var createRules = []rule{
	{name: "GetReturnsWhatCreateStored", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		id := f.create(driver.NewTask{Queue: q, Payload: []byte("hello"), Priority: 7, MaxAttempts: 5, UniqueKey: "k1"})[0]
		r := f.get(id)
		assert.Equal(t, q, r.Queue, "queue")
		assert.Equal(t, []byte("hello"), r.Payload, "payload")
		assert.Equal(t, 7, r.Priority, "priority")
		assert.Equal(t, "k1", r.UniqueKey, "unique key")
		assert.Equal(t, 5, r.MaxAttempts, "max attempts")
		assert.Equal(t, driver.StatePending, r.State, "a new task is pending")
		assert.Zero(t, r.Attempt, "a new task has used no attempt")
		assert.Empty(t, r.LastError, "a new task has no last error")
		assert.False(t, r.CreatedAt.IsZero(), "CreatedAt is set")
		assert.False(t, r.RunAt.Before(r.CreatedAt), "a task without delay runs at its creation time (RunAt %v, CreatedAt %v)", r.RunAt, r.CreatedAt)
		assert.Less(t, r.RunAt.Sub(r.CreatedAt), time.Second, "a task without delay is available at once")
		assert.True(t, r.LeaseExpiresAt.IsZero(), "a pending task has no lease")
		assert.True(t, r.FinalizedAt.IsZero(), "a pending task is not finalised")
	}},
	{name: "BatchResultsLineUpWithInput", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		const n = 50
		got := f.createN(q, n)
		seen := map[int64]bool{}
		for i, id := range got {
			require.False(t, seen[id], "Create gave ID %d to two tasks of one batch", id)
			seen[id] = true
			assert.Equal(t, fmt.Sprint(i), string(f.get(id).Payload), "result %d must be the ID of task %d of the batch", i, i)
		}
		more := f.createN(q, 3)
		for _, id := range more {
			require.False(t, seen[id], "Create reused ID %d", id)
		}
	}},
	{name: "EmptyBatchStoresNothing", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		res, err := f.d.Create(f.ctx, nil)
		require.NoError(t, err, "Create of an empty batch is not an error")
		require.Empty(t, res, "Create of an empty batch returns no results")
	}},
}

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

var runAtRules = []rule{
	{name: "DelayedTaskNotClaimableBeforeRunAt", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		later := task(q, "later")
		later.Delay = farDelay
		id := f.create(later)[0]
		assert.Equal(t, driver.StatePending, f.get(id).State, "a delayed task is pending")
		f.claimNone(q, "a task whose run-at is in the future is not available")
	}},
	{name: "RunAtIsNowPlusDelay", test: runAtIsNowPlusDelay},
	{name: "DelayedTaskClaimableOnceRunAtComes", test: delayedTaskClaimableFromRunAtNotBefore},
	{name: "FifoOrdersByRunAt", test: func(t *testing.T, s *suite) {
		f, tl := s.timed(t)
		q := f.queue()
		delayed := task(q, "delayed")
		delayed.Delay = tl.orderDelay()
		first := f.create(delayed)[0]
		now := f.createN(q, 2)
		tl.reach(f.get(first).RunAt)
		got := f.claim(q, driver.Fifo, 3, longLease)
		require.Equal(t, f.inRunAtOrder(driver.Fifo, first, now[0], now[1]), ids(got), "Fifo orders by run-at, not by creation: a delayed task comes after tasks available before it")
	}},
	{name: "LifoAndPriorityOrderByRunAt", test: func(t *testing.T, s *suite) {
		f, tl := s.timed(t)
		lifo, prio := f.queue(), f.queue()
		first := map[string]int64{}
		now := map[string][]int64{}
		for _, q := range []string{lifo, prio} {
			delayed := task(q, "delayed")
			delayed.Delay = tl.orderDelay()
			first[q] = f.create(delayed)[0]
			now[q] = f.createN(q, 2)
		}
		tl.reach(f.get(first[prio]).RunAt)
		got := f.claim(lifo, driver.Lifo, 3, longLease)
		require.Equal(t, f.inRunAtOrder(driver.Lifo, first[lifo], now[lifo][0], now[lifo][1]), ids(got), "rule: Lifo orders by run-at, not by creation: a delayed task comes before tasks available before it")
		got = f.claim(prio, driver.Priority, 3, longLease)
		require.Equal(t, f.inRunAtOrder(driver.Priority, first[prio], now[prio][0], now[prio][1]), ids(got), "rule: Priority is Fifo among equal priorities: oldest run-at first, not lowest ID")
	}},
}

// inRunAtOrder returns the IDs of tasks of equal priority in the order rule
// hands them out, from their stored run-at and IDs.
func (f *fixture) inRunAtOrder(rule driver.PriorityRule, ids ...int64) []int64 {
	f.t.Helper()
	recs := make([]driver.TaskRecord, len(ids))
	for i, id := range ids {
		recs[i] = f.get(id)
	}
	slices.SortFunc(recs, func(a, b driver.TaskRecord) int {
		c := a.RunAt.Compare(b.RunAt)
		if c == 0 {
			c = cmp.Compare(a.ID, b.ID)
		}
		if rule == driver.Lifo {
			return -c
		}
		return c
	})
	out := make([]int64, len(recs))
	for i, r := range recs {
		out[i] = r.ID
	}
	return out
}

var payloadRules = []rule{
	{name: "BinaryAndNonUTF8RoundTrip", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		all := make([]byte, 256)
		for i := range all {
			all[i] = byte(i)
		}
		payloads := [][]byte{all, {0xff, 0xfe, 0xfd}, {0, 0, 0}, []byte("\x00nul\x00"), {0xc3, 0x28}, []byte("ünïcødé ✓")}
		tasks := make([]driver.NewTask, len(payloads))
		for i, p := range payloads {
			tasks[i] = driver.NewTask{Queue: q, Payload: p, MaxAttempts: 1}
		}
		id := f.create(tasks...)
		for i, p := range payloads {
			assert.True(t, bytes.Equal(p, f.get(id[i]).Payload), "Get must return payload %d byte for byte", i)
		}
		got := f.claim(q, driver.Fifo, len(payloads), longLease)
		require.Len(t, got, len(payloads))
		for i, c := range got {
			assert.True(t, bytes.Equal(payloads[i], c.Task.Payload), "Claim must return payload %d byte for byte", i)
		}
	}},
	{name: "NilAndEmptyReadBackEmpty", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		id := f.create(driver.NewTask{Queue: q, MaxAttempts: 1}, driver.NewTask{Queue: q, Payload: []byte{}, MaxAttempts: 1})
		for _, i := range id {
			assert.Empty(t, f.get(i).Payload, "a nil or empty payload reads back empty")
		}
	}},
	{name: "LargePayloadRoundTrip", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		big := make([]byte, 1<<20)
		_, _ = rand.Read(big)
		id := f.create(driver.NewTask{Queue: q, Payload: big, MaxAttempts: 1})[0]
		assert.True(t, bytes.Equal(big, f.get(id).Payload), "a 1 MiB payload must read back byte for byte")
		c := f.claimOne(q, longLease)
		assert.True(t, bytes.Equal(big, c.Task.Payload), "Claim must return a 1 MiB payload byte for byte")
	}},
}

var unknownIDRules = []rule{
	{name: "EveryCallReportsTaskNotFound", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		_, err := f.d.Get(f.ctx, unknownID)
		assert.ErrorIs(t, err, driver.ErrTaskNotFound, "Get of an unknown ID")
		l := driver.Lease{TaskID: unknownID, Token: 1}
		assert.ErrorIs(t, f.ping(l, longLease), driver.ErrTaskNotFound, "Ping of an unknown ID")
		for _, k := range []driver.OutcomeKind{driver.Complete, driver.Cancel, driver.Fail, driver.Release} {
			assert.ErrorIs(t, f.finish(outcome(l, k)), driver.ErrTaskNotFound, "Finish (%v) of an unknown ID", k)
		}
	}},
	{name: "BatchReportsOnlyUnknownItems", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		f.createN(q, 2)
		c := f.claim(q, driver.Fifo, 2, longLease)
		require.Len(t, c, 2)
		errs, err := f.d.Finish(f.ctx, []driver.Outcome{
			outcome(c[0].Lease, driver.Complete),
			outcome(driver.Lease{TaskID: unknownID, Token: c[0].Lease.Token}, driver.Complete),
			outcome(c[1].Lease, driver.Complete),
		})
		require.NoError(t, err, "an unknown ID is a per-item error, not a failure of the call")
		require.Len(t, errs, 3)
		assert.NoError(t, errs[0])
		assert.ErrorIs(t, errs[1], driver.ErrTaskNotFound)
		assert.NoError(t, errs[2])
		assert.Equal(t, driver.StateCompleted, f.get(c[0].Task.ID).State, "the known items of the batch are applied")
		assert.Equal(t, driver.StateCompleted, f.get(c[1].Task.ID).State, "the known items of the batch are applied")
	}},
}

var uniqueRules = []rule{
	{name: "DuplicateReturnsExistingID", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		first := driver.NewTask{Queue: q, Payload: []byte("first"), MaxAttempts: 1, UniqueKey: "key"}
		id := f.create(first)[0]
		second := first
		second.Payload = []byte("second")
		res, err := f.d.Create(f.ctx, []driver.NewTask{second, task(q, "other")})
		require.NoError(t, err, "a duplicate is a per-item error, not a failure of the call")
		require.Len(t, res, 2)
		require.ErrorIs(t, res[0].Err, driver.ErrDuplicate, "a pending task holds its unique key")
		assert.Equal(t, id, res[0].ID, "a duplicate's result carries the existing task's ID")
		assert.NoError(t, res[1].Err, "the other tasks of the batch are stored")
		assert.Equal(t, "first", string(f.get(id).Payload), "a duplicate changes nothing")
		got := f.claim(q, driver.Fifo, 10, longLease)
		assert.ElementsMatch(t, []int64{id, res[1].ID}, ids(got), "the duplicate was not stored")
	}},
	{name: "DuplicateWithinOneBatch", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		a := driver.NewTask{Queue: q, Payload: []byte("a"), MaxAttempts: 1, UniqueKey: "same"}
		res, err := f.d.Create(f.ctx, []driver.NewTask{a, a})
		require.NoError(t, err)
		require.Len(t, res, 2)
		require.NoError(t, res[0].Err)
		require.ErrorIs(t, res[1].Err, driver.ErrDuplicate, "a key taken earlier in the same batch is a duplicate")
		assert.Equal(t, res[0].ID, res[1].ID, "the duplicate's result carries the ID stored earlier in the batch")
	}},
	{name: "KeyHeldWhileRunningFreedWhenFinal", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		u := driver.NewTask{Queue: q, MaxAttempts: 1, UniqueKey: "job"}
		id := f.create(u)[0]
		c := f.claimOne(q, longLease)
		res, err := f.d.Create(f.ctx, []driver.NewTask{u})
		require.NoError(t, err)
		require.ErrorIs(t, res[0].Err, driver.ErrDuplicate, "a running task holds its unique key")
		assert.Equal(t, id, res[0].ID)
		require.NoError(t, f.finish(outcome(c.Lease, driver.Complete)))
		again := f.create(u)[0]
		assert.NotEqual(t, id, again, "once the task is final its key is free again")
	}},
	{name: "KeyScopedToQueue", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		a, b := f.queue(), f.queue()
		ia := f.create(driver.NewTask{Queue: a, MaxAttempts: 1, UniqueKey: "k"})[0]
		ib := f.create(driver.NewTask{Queue: b, MaxAttempts: 1, UniqueKey: "k"})[0]
		assert.NotEqual(t, ia, ib, "the same key in two queues makes two tasks")
	}},
	{name: "ConcurrentCreatesStoreOne", serial: true, test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		const n = 16
		var (
			wg      sync.WaitGroup
			results = make([]driver.CreateResult, n)
			errs    = make([]error, n)
			start   = make(chan struct{})
		)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				res, err := f.d.Create(f.ctx, []driver.NewTask{{Queue: q, MaxAttempts: 1, UniqueKey: "race"}})
				errs[i] = err
				if err == nil && len(res) == 1 {
					results[i] = res[0]
				}
			}()
		}
		close(start)
		wg.Wait()
		stored := 0
		for i := range n {
			require.NoError(t, errs[i], "concurrent create %d", i)
			switch {
			case results[i].Err == nil:
				stored++
			case errors.Is(results[i].Err, driver.ErrDuplicate):
			default:
				t.Fatalf("create %d: unexpected result error %v", i, results[i].Err)
			}
		}
		require.Equal(t, 1, stored, "of concurrent creates with one unique key exactly one stores a task")
		for i := range n {
			assert.Equal(t, results[0].ID, results[i].ID, "every concurrent create names the one stored task")
		}
	}},
}
