package drivertest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/internal/testclock"
)

// Times of the purge-age subtests on the real clock: the gap left between
// two events that a cutoff must tell apart, and the margin taken off an
// age for stores that keep times at a coarser precision.
const (
	purgeGap    = time.Second
	purgeMargin = 10 * time.Millisecond
)

// storeNow returns the store's time: the creation time of a probe task in
// a side queue.
func (f *fixture) storeNow() time.Time {
	f.t.Helper()
	probe := f.create(task(f.queue(), "clock probe"))[0]
	return f.get(probe).CreatedAt
}

// pass makes d pass after the store time at: it moves the suite's clock
// beyond at+d, or waits until the store's own clock is there.
func (f *fixture) pass(clk *testclock.Clock, at time.Time, d time.Duration) {
	f.t.Helper()
	(&timeline{f: f, c: clk}).reach(at.Add(d + time.Millisecond))
}

// purgeBetween purges queue q with a cutoff between early and late (two
// store times at least purgeGap apart): its age is measured on the store's
// clock just before the call, so that early is older than the cutoff
// whenever the call runs, and late is younger unless the call itself took
// longer than the gap, which it checks afterwards. It returns how many
// tasks Purge deleted.
func (f *fixture) purgeBetween(a driver.Admin, q string, early, late time.Time) int {
	f.t.Helper()
	before := f.storeNow()
	age := before.Sub(early) - purgeMargin
	require.Positive(f.t, age, "the store's clock has passed the early time")
	n, err := a.Purge(f.ctx, driver.PurgeParams{Queue: q, OlderThan: age})
	require.NoError(f.t, err, "Purge")
	if took := f.storeNow().Sub(before); took+purgeMargin >= late.Sub(early) {
		f.t.Fatalf("cannot tell: one Purge call took %v on the store's clock, longer than the %v between the times it must tell apart", took, late.Sub(early))
	}
	return n
}

// countByList counts the tasks of q in each state by paging through List.
func (f *fixture) countByList(a driver.Admin, q string) map[driver.State]int64 {
	f.t.Helper()
	out := map[driver.State]int64{}
	for _, st := range driver.States() {
		out[st] = 0
	}
	var after int64
	for {
		page, err := a.List(f.ctx, driver.ListParams{Queue: q, AfterID: after, Limit: 3})
		require.NoError(f.t, err, "List")
		if len(page) == 0 {
			return out
		}
		for _, r := range page {
			require.Greater(f.t, r.ID, after, "rule: List returns only tasks after its cursor, in ascending ID order")
			after = r.ID
			out[r.State]++
		}
	}
}

var adminLifeRules = []rule{
	{name: "EveryMethodHonoursCancelledContext", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		a := f.admin()
		q := f.queue()
		failed := f.inState(q, driver.StateFailed)
		done := f.inState(q, driver.StateCompleted)
		running := f.inState(q, driver.StateRunning)
		pending := f.inState(q, driver.StatePending)
		before := map[int64]driver.TaskRecord{}
		for _, id := range []int64{failed, done, running, pending} {
			before[id] = f.get(id)
		}
		ctx := cancelled(f.ctx)
		_, err := a.List(ctx, driver.ListParams{Queue: q})
		assert.ErrorIs(t, err, context.Canceled, "rule: List with a cancelled context returns the context's error")
		_, err = a.Count(ctx, q)
		assert.ErrorIs(t, err, context.Canceled, "rule: Count with a cancelled context returns the context's error")
		_, err = a.Retry(ctx, []int64{failed})
		assert.ErrorIs(t, err, context.Canceled, "rule: Retry with a cancelled context returns the context's error")
		_, err = a.Cancel(ctx, []int64{pending, running})
		assert.ErrorIs(t, err, context.Canceled, "rule: Cancel with a cancelled context returns the context's error")
		_, err = a.Purge(ctx, driver.PurgeParams{Queue: q})
		assert.ErrorIs(t, err, context.Canceled, "rule: Purge with a cancelled context returns the context's error")
		for id, r := range before {
			after, err := f.d.Get(f.ctx, id)
			if assert.NoError(t, err, "rule: an Admin call with a cancelled context applies nothing (task %d, %v, was purged)", id, r.State) {
				f.unchanged(r, after, "rule: an Admin call with a cancelled context applies nothing (task %d, %v)", id, r.State)
			}
		}
		got := f.claim(q, driver.Fifo, 10, longLease)
		assert.Equal(t, []int64{pending}, ids(got), "rule: an Admin call with a cancelled context applies nothing: only the pending task is available")
	}},
	{name: "CountReportsLapsedLeaseAsRunning", test: func(t *testing.T, s *suite) {
		f, clk := s.clocked(t)
		a := f.admin()
		q := f.queue()
		id := f.create(task(q, "x"))[0]
		f.claimOne(q, lapseLease(clk))
		f.lapse(clk)
		got, err := a.Count(f.ctx, q)
		require.NoError(t, err)
		assert.Equal(t, int64(1), got[driver.StateRunning], "rule: Count reports a task whose lease lapsed, and that no claim took since, as running")
		assert.Zero(t, got[driver.StatePending], "rule: a lapsed lease does not make its task pending before a claim takes it")
		recs, err := a.List(f.ctx, driver.ListParams{Queue: q, States: []driver.State{driver.StateRunning}})
		require.NoError(t, err)
		assert.Equal(t, []int64{id}, listIDs(recs), "rule: List agrees with Count: a lapsed, unclaimed lease is running")
		assert.Equal(t, driver.StateRunning, f.get(id).State, "rule: Get agrees with Count: a lapsed, unclaimed lease is running")
	}},
	{name: "CountAndListAgreeAfterPurge", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		a := f.admin()
		q := f.queue()
		for _, st := range []driver.State{
			driver.StateCompleted, driver.StatePending, driver.StateFailed, driver.StateCompleted,
			driver.StateRunning, driver.StateCancelled, driver.StateCompleted, driver.StateFailed,
		} {
			f.inState(q, st)
		}
		for _, limit := range []int{3, 0} {
			_, err := a.Purge(f.ctx, driver.PurgeParams{Queue: q, Limit: limit})
			require.NoError(t, err)
			counted, err := a.Count(f.ctx, q)
			require.NoError(t, err)
			listed := f.countByList(a, q)
			assert.Equal(t, listed, counted, "rule: Count and List agree after a Purge (limit %d)", limit)
		}
		counted, err := a.Count(f.ctx, q)
		require.NoError(t, err)
		assert.Equal(t, map[driver.State]int64{
			driver.StatePending: 1, driver.StateRunning: 1,
			driver.StateCompleted: 0, driver.StateCancelled: 0, driver.StateFailed: 0,
		}, counted, "rule: after purging every final task, Count counts only the unfinished ones")
	}},
	{name: "PurgeAgeCountsFromFinalisation", test: func(t *testing.T, s *suite) {
		f, clk := s.clocked(t)
		a := f.admin()
		q := f.queue()
		id := f.create(task(q, "old"))[0]
		created := f.get(id).CreatedAt
		long := purgeGap
		if clk != nil {
			long = 24 * time.Hour
		}
		f.pass(clk, created, long)
		c := f.claimOne(q, longLease)
		require.NoError(t, f.finish(outcome(c.Lease, driver.Complete)))
		finalised := f.get(id).FinalizedAt
		n := f.purgeBetween(a, q, created, finalised)
		assert.Zero(t, n, "rule: the purge age counts from finalisation: a task created long ago and finalised just now is kept")
		_, err := f.d.Get(f.ctx, id)
		assert.NoError(t, err, "rule: the purge age counts from finalisation, not creation")
		if clk != nil {
			clk.Add(2 * time.Hour)
			n, err := a.Purge(f.ctx, driver.PurgeParams{Queue: q, OlderThan: time.Hour})
			require.NoError(t, err)
			assert.Equal(t, 1, n, "rule: a task finalised more than OlderThan ago is purged")
		}
	}},
}

// listIDs returns the IDs of records.
func listIDs(recs []driver.TaskRecord) []int64 {
	out := make([]int64, len(recs))
	for i, r := range recs {
		out[i] = r.ID
	}
	return out
}

// adminInputRules are the rules of what every Admin method refuses.
var adminInputRules = []rule{
	{name: "RefusesBadInput", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		a := f.admin()
		q := f.queue()
		_, err := a.List(f.ctx, driver.ListParams{Queue: q, Limit: -1})
		assert.ErrorIs(t, err, driver.ErrInvalid, "List with a negative limit")
		_, err = a.List(f.ctx, driver.ListParams{Queue: ""})
		assert.ErrorIs(t, err, driver.ErrInvalid, "List with an empty queue name")
		_, err = a.List(f.ctx, driver.ListParams{Queue: q, States: []driver.State{"sleeping"}})
		assert.ErrorIs(t, err, driver.ErrInvalid, "List with an unknown state")
		_, err = a.Count(f.ctx, "")
		assert.ErrorIs(t, err, driver.ErrInvalid, "Count with an empty queue name")
		_, err = a.Purge(f.ctx, driver.PurgeParams{Queue: q, Limit: -1})
		assert.ErrorIs(t, err, driver.ErrInvalid, "Purge with a negative limit")
		_, err = a.Purge(f.ctx, driver.PurgeParams{Queue: q, OlderThan: -time.Second})
		assert.ErrorIs(t, err, driver.ErrInvalid, "Purge with a negative age")
		_, err = a.Retry(f.ctx, []int64{0})
		assert.ErrorIs(t, err, driver.ErrInvalid, "Retry of ID 0")
		_, err = a.Cancel(f.ctx, []int64{7, 7})
		assert.ErrorIs(t, err, driver.ErrInvalid, "Cancel naming one task twice")
	}},
}
