package drivertest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/internal/testclock"
)

// Fixtures: what a subtest builds its case from (a fresh driver, on the
// suite's clock or not; queues, tasks in a given state, leases that lapsed or
// were reclaimed) and the calls it makes through them, which fail the
// subtest on an error the rule does not expect.

// fixture is one subtest's driver and context.
type fixture struct {
	t   *testing.T
	s   *suite
	d   driver.Driver
	ctx context.Context
}

// fresh returns a fixture with a new driver from the harness, closed when
// the subtest ends.
func (s *suite) fresh(t *testing.T) *fixture {
	t.Helper()
	return s.fixtureFor(t, s.h.New(t))
}

// fixtureFor returns a fixture for d, closed when the subtest ends.
func (s *suite) fixtureFor(t *testing.T, d driver.Driver) *fixture {
	t.Helper()
	require.NotNil(t, d, "the harness returned a nil driver")
	t.Cleanup(func() {
		if err := d.Close(); err != nil && !errors.Is(err, driver.ErrClosed) {
			t.Errorf("Close: %v", err)
		}
	})
	return &fixture{t: t, s: s, d: d, ctx: t.Context()}
}

// clocked returns a fixture whose driver reads the time from a clock the
// subtest moves, and that clock; or, when the harness has no NewClocked
// (the store keeps its own clock), a fixture from New and a nil clock.
func (s *suite) clocked(t *testing.T) (*fixture, *testclock.Clock) {
	t.Helper()
	if s.h.NewClocked == nil {
		return s.fresh(t), nil
	}
	c := newClock()
	f := s.fixtureFor(t, s.h.NewClocked(t, c.Now))
	return f, c
}

// newClock returns a clock that the suite moves by hand, handed to drivers
// made by Harness.NewClocked. It starts a day before the real time, on a
// whole millisecond, and only moves forward, in whole milliseconds, when a
// subtest advances it: a store that keeps milliseconds keeps its times
// exactly, and a driver that reads time.Now anywhere instead of its clock
// shows times a day off.
func newClock() *testclock.Clock {
	return testclock.New(time.Now().Add(-clockBehind).Truncate(time.Millisecond))
}

// clockBehind is how far behind the real time a clock starts.
const clockBehind = 24 * time.Hour

// queue returns a queue name no other subtest uses.
func (f *fixture) queue() string {
	name := f.t.Name()
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, name)
	if len(name) > 60 {
		name = name[:60]
	}
	return fmt.Sprintf("dt-%s-%s-%d", f.s.run, name, f.s.queues.Add(1))
}

// admin returns the driver's Admin, or skips or fails the subtest as the
// harness's exemptions say.
func (f *fixture) admin() driver.Admin {
	f.t.Helper()
	a, ok := f.d.(driver.Admin)
	if !ok {
		f.s.missing(f.t, CapAdmin, "the driver does not implement driver.Admin")
	}
	return a
}

// notifier is admin for driver.Notifier.
func (f *fixture) notifier() driver.Notifier {
	f.t.Helper()
	n, ok := f.d.(driver.Notifier)
	if !ok {
		f.s.missing(f.t, CapNotify, "the driver does not implement driver.Notifier")
	}
	return n
}

// tx returns a transactional creator, or skips or fails the subtest as the
// harness's exemptions say.
func (f *fixture) tx() (driver.Creator, func() error, func() error) {
	f.t.Helper()
	if f.s.h.Tx == nil {
		f.s.missing(f.t, CapTx, "the harness has no Tx function")
	}
	c, commit, rollback := f.s.h.Tx(f.t, f.d)
	require.NotNil(f.t, c, "Harness.Tx returned no creator")
	require.NotNil(f.t, commit, "Harness.Tx returned no commit")
	require.NotNil(f.t, rollback, "Harness.Tx returned no rollback")
	// A failing subtest may leave the transaction open, and an embedded
	// store cannot close while a write transaction is open: roll back
	// before the driver closes. After a commit or a rollback this does
	// nothing but return an error, which is ignored.
	f.t.Cleanup(func() { _ = rollback() })
	return c, commit, rollback
}

// again returns a fixture for a second driver on the store of f's, or
// skips or fails the subtest as the harness's exemptions say.
func (f *fixture) again() *fixture {
	f.t.Helper()
	if f.s.h.Again == nil {
		f.s.missing(f.t, CapAgain, "the harness has no Again function")
	}
	return f.s.fixtureFor(f.t, f.s.h.Again(f.t, f.d))
}

// task returns a NewTask for queue with the usual defaults.
func task(queue string, payload string) driver.NewTask {
	return driver.NewTask{Queue: queue, Payload: []byte(payload), MaxAttempts: 3}
}

// create stores tasks and returns their IDs, failing on any error.
func (f *fixture) create(tasks ...driver.NewTask) []int64 {
	f.t.Helper()
	res, err := f.d.Create(f.ctx, tasks)
	require.NoError(f.t, err, "Create")
	require.Len(f.t, res, len(tasks), "Create must return one result per task")
	ids := make([]int64, len(res))
	for i, r := range res {
		require.NoError(f.t, r.Err, "Create: task %d", i)
		require.Positive(f.t, r.ID, "Create: task %d: IDs are positive", i)
		ids[i] = r.ID
	}
	return ids
}

// createN stores n tasks in queue, one call, payloads "0", "1", ...
func (f *fixture) createN(queue string, n int) []int64 {
	f.t.Helper()
	tasks := make([]driver.NewTask, n)
	for i := range tasks {
		tasks[i] = task(queue, strconv.Itoa(i))
	}
	return f.create(tasks...)
}

// inState creates a task in queue q and brings it to state s, returning
// its ID. Queue q must hold no delayed task.
func (f *fixture) inState(q string, s driver.State) int64 {
	f.t.Helper()
	id := f.create(task(q, string(s)))[0]
	if s == driver.StatePending {
		return id
	}
	got := f.claim(q, driver.Lifo, 1, longLease)
	require.Equal(f.t, []int64{id}, ids(got), "Lifo claims the task just created")
	kind := map[driver.State]driver.OutcomeKind{
		driver.StateCompleted: driver.Complete,
		driver.StateCancelled: driver.Cancel,
		driver.StateFailed:    driver.Fail,
	}[s]
	if kind != 0 {
		require.NoError(f.t, f.finish(driver.Outcome{Lease: got[0].Lease, Kind: kind, Message: "made " + string(s)}))
	}
	return id
}

// claim claims up to limit tasks of queue, failing on a call error.
func (f *fixture) claim(queue string, rule driver.PriorityRule, limit int, lease time.Duration) []driver.ClaimedTask {
	f.t.Helper()
	got, err := f.d.Claim(f.ctx, driver.ClaimParams{Queue: queue, Limit: limit, Rule: rule, Lease: lease})
	require.NoError(f.t, err, "Claim")
	require.LessOrEqual(f.t, len(got), max(limit, 1), "Claim returned more tasks than its limit")
	for _, c := range got {
		require.Equal(f.t, c.Task.ID, c.Lease.TaskID, "a claimed task's lease must name the task")
		require.Equal(f.t, queue, c.Task.Queue, "Claim returned a task of another queue")
		require.Equal(f.t, driver.StateRunning, c.Task.State, "a claimed task must be running")
	}
	return got
}

// claimOne claims the single task of queue, failing if there is none.
func (f *fixture) claimOne(queue string, lease time.Duration) driver.ClaimedTask {
	f.t.Helper()
	got := f.claim(queue, driver.Fifo, 1, lease)
	require.Len(f.t, got, 1, "Claim must hand out an available task")
	return got[0]
}

// claimNone claims from queue and fails if anything comes back.
func (f *fixture) claimNone(queue string, why string) {
	f.t.Helper()
	got := f.claim(queue, driver.Fifo, 10, longLease)
	require.Empty(f.t, ids(got), "Claim must return nothing: %s", why)
}

// awaitClaim claims from queue until a task comes back (a lease running
// out, a delay passing) and returns it.
func (f *fixture) awaitClaim(queue string, lease time.Duration, what string) driver.ClaimedTask {
	f.t.Helper()
	var got driver.ClaimedTask
	f.waitFor(what, func() bool {
		c := f.claim(queue, driver.Fifo, 1, lease)
		if len(c) == 1 {
			got = c[0]
			return true
		}
		return false
	})
	return got
}

// lapsed claims one task of a side queue with the same lease length after
// the caller's claim, then waits until that task can be claimed again.
// When it returns, every lease of that length taken before the call has run
// out on the store's clock, and nothing else was claimed to find out.
func (f *fixture) lapsed(lease time.Duration) {
	f.t.Helper()
	side := f.queue()
	f.create(task(side, "lease probe"))
	f.claimOne(side, lease)
	f.awaitClaim(side, longLease, "a lease that is not pinged runs out")
}

// lapseLease is the length of a lease the subtest lets run out: short on
// the real clock, a minute on the suite's clock (moved past it by lapse).
func lapseLease(clk *testclock.Clock) time.Duration {
	if clk != nil {
		return time.Minute
	}
	return shortLease
}

// lapse lets every lease of lapseLease(clk) taken so far run out: it moves
// the suite's clock past them, or waits for the store's own clock.
func (f *fixture) lapse(clk *testclock.Clock) {
	f.t.Helper()
	if clk != nil {
		clk.Add(2 * lapseLease(clk))
		return
	}
	f.lapsed(shortLease)
}

// tick moves the suite's clock on by a second, if there is one, so that a
// call that wrongly applies stamps times that differ from the ones before.
func tick(clk *testclock.Clock) {
	if clk != nil {
		clk.Add(time.Second)
	}
}

// reclaimed creates a task in q with a last error, claims it under a lease
// that then runs out, and lets another claim take it. It returns the stale
// claim and the live one.
func (f *fixture) reclaimed(q string, clk *testclock.Clock) (stale, live driver.ClaimedTask) {
	f.t.Helper()
	id := f.create(task(q, "reclaimed"))[0]
	first := f.claimOne(q, longLease)
	require.NoError(f.t, f.finish(driver.Outcome{Lease: first.Lease, Kind: driver.Release, Message: "earlier"}))
	stale = f.claimOne(q, lapseLease(clk))
	require.Equal(f.t, id, stale.Task.ID)
	f.lapse(clk)
	live = f.claimOne(q, longLease)
	require.Equal(f.t, id, live.Task.ID, "the lapsed task is reclaimed")
	return stale, live
}

// get returns a task's record, failing on any error.
func (f *fixture) get(id int64) driver.TaskRecord {
	f.t.Helper()
	r, err := f.d.Get(f.ctx, id)
	require.NoError(f.t, err, "Get(%d)", id)
	require.Equal(f.t, id, r.ID, "Get returned another task")
	return r
}

// ping pings one lease and returns its item error.
func (f *fixture) ping(l driver.Lease, extend time.Duration) error {
	f.t.Helper()
	errs, err := f.d.Ping(f.ctx, []driver.Lease{l}, extend)
	require.NoError(f.t, err, "Ping")
	require.Len(f.t, errs, 1, "Ping must return one error per lease")
	return errs[0]
}

// finish applies one outcome and returns its item error.
func (f *fixture) finish(o driver.Outcome) error {
	f.t.Helper()
	errs, err := f.d.Finish(f.ctx, []driver.Outcome{o})
	require.NoError(f.t, err, "Finish")
	require.Len(f.t, errs, 1, "Finish must return one error per outcome")
	return errs[0]
}

// outcome builds an outcome of kind for lease l.
func outcome(l driver.Lease, kind driver.OutcomeKind) driver.Outcome {
	return driver.Outcome{Lease: l, Kind: kind}
}

// subscribe subscribes to q and stops the subscription when the test ends.
func (f *fixture) subscribe(n driver.Notifier, q string) *driver.Subscription {
	f.t.Helper()
	sub, err := n.Subscribe(f.ctx, q)
	require.NoError(f.t, err, "Subscribe")
	require.NotNil(f.t, sub, "Subscribe returned no subscription")
	require.NotNil(f.t, sub.Wake, "a subscription has a Wake channel")
	require.NotNil(f.t, sub.Stop, "a subscription has a Stop function")
	f.t.Cleanup(sub.Stop)
	return sub
}

// awaitWake waits for a wake-up on sub, failing after waitLimit.
func (f *fixture) awaitWake(sub *driver.Subscription, what string) {
	f.t.Helper()
	select {
	case <-sub.Wake:
	case <-time.After(waitLimit):
		f.t.Fatalf("no wake-up within %v: %s", waitLimit, what)
	}
}

// waitFor calls cond until it returns true, failing after waitLimit. cond
// runs on the test's goroutine and may use require.
func (f *fixture) waitFor(what string, cond func() bool) {
	f.t.Helper()
	deadline := time.Now().Add(waitLimit)
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			f.t.Fatalf("waited %v and still not: %s", waitLimit, what)
		}
		select {
		case <-tick.C:
		case <-f.ctx.Done():
			f.t.Fatalf("test ended while waiting for: %s", what)
		}
	}
}

// unchanged asserts that a task's record is as it was: every field equal,
// times compared as instants (a driver may return them in any location).
func (f *fixture) unchanged(before, after driver.TaskRecord, msg string, args ...any) {
	f.t.Helper()
	why := fmt.Sprintf(msg, args...)
	times := []struct {
		name    string
		was, is time.Time
	}{
		{"CreatedAt", before.CreatedAt, after.CreatedAt},
		{"RunAt", before.RunAt, after.RunAt},
		{"LeaseExpiresAt", before.LeaseExpiresAt, after.LeaseExpiresAt},
		{"FinalizedAt", before.FinalizedAt, after.FinalizedAt},
	}
	for _, tt := range times {
		assert.True(f.t, tt.was.Equal(tt.is), "%s: %s changed from %v to %v", why, tt.name, tt.was, tt.is)
	}
	before.CreatedAt, before.RunAt, before.LeaseExpiresAt, before.FinalizedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	after.CreatedAt, after.RunAt, after.LeaseExpiresAt, after.FinalizedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	assert.Equal(f.t, before, after, why)
}

// ids returns the task IDs of claimed tasks.
func ids(c []driver.ClaimedTask) []int64 {
	out := make([]int64, len(c))
	for i := range c {
		out[i] = c[i].Task.ID
	}
	return out
}

// unknownID is an ID no fresh store hands out during a test.
const unknownID int64 = 1<<62 + 12345
