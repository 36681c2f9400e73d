package drivertest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
)

// adminRaceRules race Admin calls against each other, task by task, each
// round starting both calls at once (see raceReclaim).
var adminRaceRules = []rule{
	{name: "ConcurrentRetriesRestoreOne", serial: true, test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		a := f.admin()
		q := f.queue()
		const n = 40
		// Two operators retry the same failed task at once.
		same := f.failAll(q, make([]string, n))
		for i, id := range same {
			errs := raceRetries(t, a, f, id, id)
			f.oneWinner(errs, driver.ErrTaskConflict, "round %d: two retries of task %d", i, id)
			r := f.get(id)
			assert.Equal(t, driver.StatePending, r.State, "round %d: task %d is retried", i, id)
			assert.Zero(t, r.Attempt, "round %d: task %d is retried once, its attempts reset", i, id)
		}
		got := f.claim(q, driver.Fifo, 2*n, longLease)
		assert.ElementsMatch(t, same, ids(got), "rule: a task retried twice at once is pending once: each claimable, none twice")
		// Two operators retry two failed tasks that share a unique key.
		keys := make([]string, n)
		for i := range keys {
			keys[i] = fmt.Sprintf("k%d", i)
		}
		first, second := f.failAll(q, keys), f.failAll(q, keys)
		for i := range keys {
			errs := raceRetries(t, a, f, first[i], second[i])
			won := f.oneWinner(errs, driver.ErrDuplicate, "round %d: retries of tasks %d and %d, which share a unique key", i, first[i], second[i])
			pair := []int64{first[i], second[i]}
			for j, id := range pair {
				want := driver.StateFailed
				if j == won {
					want = driver.StatePending
				}
				assert.Equal(t, want, f.get(id).State, "rule: of two tasks sharing a key retried at once, only the one whose retry won is pending (round %d, task %d)", i, id)
			}
		}
	}},
	{name: "RetryRacingCreateOfItsKeyOneHolds", serial: true, test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		a := f.admin()
		q := f.queue()
		const n = 40
		keys := make([]string, n)
		for i := range keys {
			keys[i] = fmt.Sprintf("k%d", i)
		}
		failed := f.failAll(q, keys)
		for i, id := range failed {
			var (
				wg       sync.WaitGroup
				start    = make(chan struct{})
				retryErr error
				created  []driver.CreateResult
				callErr  [2]error
			)
			wg.Go(func() {
				<-start
				jitter()
				var errs []error
				errs, callErr[0] = a.Retry(f.ctx, []int64{id})
				if len(errs) == 1 {
					retryErr = errs[0]
				}
			})
			wg.Go(func() {
				<-start
				jitter()
				created, callErr[1] = f.d.Create(f.ctx, []driver.NewTask{{Queue: q, Payload: []byte("new"), MaxAttempts: 1, UniqueKey: keys[i]}})
			})
			close(start)
			wg.Wait()
			require.NoError(t, callErr[0], "Admin.Retry")
			require.NoError(t, callErr[1], "Create")
			require.Len(t, created, 1, "Create")
			if retryErr == nil {
				assert.ErrorIs(t, created[0].Err, driver.ErrDuplicate, "rule: round %d: task %d was retried, so a Create of its key at once is a duplicate", i, id)
				assert.Equal(t, id, created[0].ID, "rule: round %d: the duplicate names the retried task", i)
				assert.Equal(t, driver.StatePending, f.get(id).State, "round %d: the retried task is pending", i)
				continue
			}
			assert.ErrorIs(t, retryErr, driver.ErrDuplicate, "rule: round %d: a retry of task %d that lost its key to a Create at once is ErrDuplicate", i, id)
			if assert.NoError(t, created[0].Err, "rule: round %d: the retry was refused, so the Create took the key", i) {
				assert.Equal(t, driver.StatePending, f.get(created[0].ID).State, "round %d: the created task is pending", i)
			}
			assert.Equal(t, driver.StateFailed, f.get(id).State, "rule: round %d: a refused retry leaves its task failed", i)
		}
	}},
	{name: "PurgeRacingRetryOneWins", serial: true, test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		a := f.admin()
		const n = 40
		for i := range n {
			q := f.queue()
			id := f.failAll(q, []string{""})[0]
			var (
				wg       sync.WaitGroup
				start    = make(chan struct{})
				retryErr error
				purged   int
				callErr  [2]error
			)
			wg.Go(func() {
				<-start
				jitter()
				var errs []error
				errs, callErr[0] = a.Retry(f.ctx, []int64{id})
				if len(errs) == 1 {
					retryErr = errs[0]
				}
			})
			wg.Go(func() {
				<-start
				jitter()
				purged, callErr[1] = a.Purge(f.ctx, driver.PurgeParams{Queue: q})
			})
			close(start)
			wg.Wait()
			require.NoError(t, callErr[0], "Admin.Retry")
			require.NoError(t, callErr[1], "Admin.Purge")
			r, err := f.d.Get(f.ctx, id)
			if retryErr == nil {
				assert.Zero(t, purged, "rule: round %d: task %d was retried, so a purge at once deletes nothing (it is pending)", i, id)
				if assert.NoError(t, err, "rule: round %d: a retried task is not purged", i) {
					assert.Equal(t, driver.StatePending, r.State, "round %d: the retried task is pending", i)
				}
				continue
			}
			assert.ErrorIs(t, retryErr, driver.ErrTaskNotFound, "rule: round %d: a retry of task %d that lost to a purge finds no task", i, id)
			assert.Equal(t, 1, purged, "rule: round %d: the retry was refused, so the purge deleted the task", i)
			assert.ErrorIs(t, err, driver.ErrTaskNotFound, "round %d: the purged task is gone", i)
		}
	}},
}

// failAll creates one task per key in q (keys may be empty), fails them
// all and returns their IDs in the order of keys.
func (f *fixture) failAll(q string, keys []string) []int64 {
	f.t.Helper()
	tasks := make([]driver.NewTask, len(keys))
	for i, k := range keys {
		tasks[i] = driver.NewTask{Queue: q, Payload: []byte(k), MaxAttempts: 1, UniqueKey: k}
	}
	id := f.create(tasks...)
	got := f.claim(q, driver.Fifo, len(keys), longLease)
	require.Len(f.t, got, len(keys), "Claim hands out the tasks just created")
	outs := make([]driver.Outcome, len(got))
	for i, c := range got {
		outs[i] = driver.Outcome{Lease: c.Lease, Kind: driver.Fail, Message: "failed to be retried"}
	}
	errs, err := f.d.Finish(f.ctx, outs)
	require.NoError(f.t, err, "Finish")
	for i, e := range errs {
		require.NoError(f.t, e, "failing task %d", got[i].Task.ID)
	}
	return id
}

// raceRetries retries task x and task y at once, each in a call of its
// own started after a random handful of yields, and returns the two
// results.
func raceRetries(t *testing.T, a driver.Admin, f *fixture, x, y int64) [2]error {
	t.Helper()
	var (
		wg      sync.WaitGroup
		start   = make(chan struct{})
		out     [2]error
		callErr [2]error
	)
	for i, id := range []int64{x, y} {
		wg.Go(func() {
			<-start
			jitter()
			var errs []error
			errs, callErr[i] = a.Retry(f.ctx, []int64{id})
			if callErr[i] == nil && len(errs) == 1 {
				out[i] = errs[0]
			}
		})
	}
	close(start)
	wg.Wait()
	require.NoError(t, callErr[0], "Admin.Retry")
	require.NoError(t, callErr[1], "Admin.Retry")
	return out
}

// oneWinner asserts that exactly one of two racing calls applied and the
// other got loser, and returns the winner's index (or -1).
func (f *fixture) oneWinner(errs [2]error, loser error, msg string, args ...any) int {
	f.t.Helper()
	what := fmt.Sprintf(msg, args...)
	switch {
	case errs[0] == nil && errs[1] == nil:
		assert.Fail(f.t, "rule: of two calls racing for one task, exactly one applies", "%s: both applied", what)
	case errs[0] == nil:
		assert.ErrorIs(f.t, errs[1], loser, "rule: %s: the call that lost the race", what)
		return 0
	case errs[1] == nil:
		assert.ErrorIs(f.t, errs[0], loser, "rule: %s: the call that lost the race", what)
		return 1
	default:
		assert.Fail(f.t, "rule: of two calls racing for one task, exactly one applies", "%s: neither applied: %v, %v", what, errs[0], errs[1])
	}
	return -1
}
