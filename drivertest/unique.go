package drivertest

import (
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
)

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
