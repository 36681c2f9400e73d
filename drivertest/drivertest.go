package drivertest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
)

// Harness tells the suite how to make the driver under test.
type Harness struct {
	// New returns a fresh, empty driver, isolated from every other driver
	// New returns (its own schema, key prefix or file). It registers the
	// removal of its store with t.Cleanup; the suite calls Close on the
	// driver itself. Required.
	New func(t testing.TB) driver.Driver

	// NewClocked, if set, is New for a driver that reads the time from
	// clock instead of time.Now. The subtests about time (lease expiry,
	// run-at, release delays, exact durations) then move that clock
	// instead of waiting, which makes them quick and exact. Leave it nil
	// for a store that keeps its own clock (PostgreSQL, Redis): those
	// subtests then wait for real time to pass.
	NewClocked func(t testing.TB, clock func() time.Time) driver.Driver

	// Tx returns a Creator bound to a new transaction of d, and the
	// functions that commit and roll back that transaction. Nil means the
	// driver has no transactional create, which must then be exempted
	// with CapTx.
	Tx func(t testing.TB, d driver.Driver) (c driver.Creator, commit, rollback func() error)

	// Exempt lists the optional capabilities the driver lacks, each with
	// the reason. The subtests of an exempted capability are skipped with
	// that reason; a capability that is neither present nor exempted fails
	// them.
	Exempt map[Capability]string

	// MaxPayloadLen is the payload limit of the drivers New returns (see
	// driver.ValidateNewTasksMax). Zero means driver.DefaultMaxPayloadLen.
	// The suite stores a payload of exactly this length and expects one
	// byte more to be refused.
	MaxPayloadLen int
}

// Capability names an optional capability of a driver.
type Capability string

// The optional capabilities the suite tests.
const (
	// CapNotify is driver.Notifier, found by type assertion on the driver.
	CapNotify Capability = "notify"
	// CapAdmin is driver.Admin, found by type assertion on the driver.
	CapAdmin Capability = "admin"
	// CapTx is transactional create, present when Harness.Tx is not nil.
	CapTx Capability = "tx"
)

var capabilities = []Capability{CapNotify, CapAdmin, CapTx}

// Times the suite works with. Leases in the expiry tests are short so that
// the suite is quick; waits are on conditions, with a deadline generous
// enough for a loaded machine under the race detector.
const (
	shortLease = 150 * time.Millisecond // leases that the test lets run out
	longLease  = 5 * time.Minute        // leases that must not run out during a test
	farDelay   = time.Hour              // a run-at that never comes during a test
	waitLimit  = 10 * time.Second       // how long to wait for a condition
	pollEvery  = 5 * time.Millisecond   // how often to check a condition
)

// rule is one subtest: a rule of the contract and the test that proves it.
type rule struct {
	name string
	// serial rules do not run in parallel with their group (they load the
	// machine, or measure time).
	serial bool
	test   func(t *testing.T, s *suite)
}

type group struct {
	name  string
	rules []rule
}

// groups lists every subtest of Run, in the order they run.
func groups() []group {
	return []group{
		{"Create", createRules},
		{"Claim", slices.Concat(claimRules, concurrencyRules)},
		{"Order", orderRules},
		{"Queues", queueRules},
		{"RunAt", runAtRules},
		{"Lease", slices.Concat(leaseRules, lapsedRules)},
		{"Fencing", fencingRules},
		{"Refused", refusedRules},
		{"Alignment", alignmentRules},
		{"Finish", finishRules},
		{"InputOrder", inputOrderRules},
		{"Attempts", attemptRules},
		{"Release", releaseRules},
		{"UnknownID", unknownIDRules},
		{"Unique", slices.Concat(uniqueRules, uniqueLifeRules)},
		{"Payload", payloadRules},
		{"Text", textRules},
		{"Context", contextRules},
		{"Closed", slices.Concat(closedRules, checkOrderRules)},
		{"Input", inputRules},
		{"Hostile", hostileRules},
		{"Notify", slices.Concat(notifyRules, subscriptionRules)},
		{"Admin", slices.Concat(adminRules, adminLifeRules)},
		{"Tx", slices.Concat(txRules, txKeyRules)},
		{"Model", modelRules},
	}
}

// Run runs the conformance suite against the driver that h makes. Each
// rule of the contract is one subtest, named after the rule
// ("Fencing/StaleLeaseAfterReclaim"), with a fresh driver from h.New. Rules
// of one group run in parallel; groups run one after the other, and Run
// returns when every subtest has finished.
func Run(t *testing.T, h Harness) {
	t.Helper()
	checkHarness(t, h)
	s := &suite{h: h, run: runID()}
	for _, g := range groups() {
		t.Run(g.name, func(t *testing.T) {
			for _, r := range g.rules {
				t.Run(r.name, func(t *testing.T) {
					if !r.serial {
						t.Parallel()
					}
					r.test(t, s)
				})
			}
		})
	}
}

func checkHarness(t *testing.T, h Harness) {
	t.Helper()
	if h.New == nil {
		t.Fatal("drivertest: Harness.New is nil; it must return a fresh, empty driver")
	}
	for c, reason := range h.Exempt {
		if !slices.Contains(capabilities, c) {
			t.Fatalf("drivertest: Harness.Exempt names unknown capability %q; known are %v", c, capabilities)
		}
		if strings.TrimSpace(reason) == "" {
			t.Fatalf("drivertest: Harness.Exempt[%q] has no reason; say why the driver lacks it", c)
		}
	}
}

// runs counts the suites run in this process, so that queue names differ
// between two Run calls that share a store.
var runs atomic.Int64

func runID() string {
	return strconv.FormatInt(time.Now().UnixNano()%1e9, 36) + "-" + strconv.FormatInt(runs.Add(1), 36)
}

// suite holds what every subtest shares.
type suite struct {
	h      Harness
	run    string
	queues atomic.Int64
}

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

// missing skips t if c is exempted and fails it otherwise.
func (s *suite) missing(t *testing.T, c Capability, what string) {
	t.Helper()
	if reason, ok := s.h.Exempt[c]; ok {
		t.Skipf("capability %q exempted: %s", c, reason)
	}
	t.Fatalf("%s: implement it, or exempt it with Harness.Exempt[drivertest.Cap%s] = \"why\"", what, capName(c))
}

func capName(c Capability) string {
	switch c {
	case CapNotify:
		return "Notify"
	case CapAdmin:
		return "Admin"
	case CapTx:
		return "Tx"
	}
	return string(c)
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
