package drivertest

import (
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

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

	// Again returns a second driver on the store of d, as another process
	// (or the same one, after a restart) would open it: tasks and
	// schedules that d stored are there. A store that one process opens
	// only once at a time (a bbolt file) closes d first; the suite uses
	// only the returned driver afterwards and closes both. Nil means the
	// harness cannot open a store twice (an in-memory store, which lives
	// in its driver), which must then be exempted with CapAgain.
	Again func(t testing.TB, d driver.Driver) driver.Driver

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
	// CapDue is driver.DueReporter, found by type assertion on the driver.
	CapDue Capability = "due"
	// CapSchedule is driver.Scheduler, found by type assertion on the
	// driver.
	CapSchedule Capability = "schedule"
	// CapQueues is driver.QueueLister, found by type assertion on the
	// driver.
	CapQueues Capability = "queues"
	// CapImport is driver.Importer, found by type assertion on the driver.
	CapImport Capability = "import"
	// CapAgain is opening a second driver on one store, present when
	// Harness.Again is not nil.
	CapAgain Capability = "again"
)

var capabilities = []Capability{CapNotify, CapAdmin, CapTx, CapDue, CapSchedule, CapQueues, CapImport, CapAgain}

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
// Why the rule matters is in whys, under the subtest's name.
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
		{"Fencing", slices.Concat(fencingRules, fenceOrderRules)},
		{"Refused", refusedRules},
		{"Alignment", slices.Concat(alignmentRules, largeBatchRules)},
		{"Finish", finishRules},
		{"InputOrder", inputOrderRules},
		{"Attempts", attemptRules},
		{"Release", releaseRules},
		{"UnknownID", unknownIDRules},
		{"Unique", slices.Concat(uniqueRules, uniqueLifeRules)},
		{"Payload", payloadRules},
		{"Text", textRules},
		{"Context", slices.Concat(contextRules, midwayRules)},
		{"Closed", slices.Concat(closedRules, checkOrderRules)},
		{"Input", inputRules},
		{"Hostile", hostileRules},
		{"Notify", slices.Concat(notifyRules, subscriptionRules)},
		{"Admin", slices.Concat(adminListRules, adminRetryCancelRules, adminPurgeRules, adminInputRules, adminLifeRules, adminRaceRules)},
		{"Result", resultRules},
		{"Tx", slices.Concat(txRules, txKeyRules)},
		{"Pause", pauseRules},
		{"Due", dueRules},
		{"QueueList", queueListRules},
		{"Schedule", scheduleRules},
		{"Import", importRules},
		{"Model", modelRules},
	}
}

// Run runs the conformance suite against the driver that h makes. Each
// rule of the contract is one subtest, named after the rule
// ("Fencing/StaleLeaseAfterReclaim"), with a fresh driver from h.New; a
// subtest that fails also prints, in one line, why its rule matters. Rules
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
					explain(t, g.name+"/"+r.name)
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
	case CapDue:
		return "Due"
	case CapSchedule:
		return "Schedule"
	case CapQueues:
		return "Queues"
	case CapImport:
		return "Import"
	case CapAgain:
		return "Again"
	}
	return string(c)
}
