package drivertest_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivers/memory"
	"github.com/gosk/gosk/drivertest"
)

// The suite is itself tested against drivers that each break one rule of
// the contract: each must fail it, in the subtests that own the rule. Run
// takes a *testing.T, so each broken driver runs the suite in a child
// process of this test binary (TestBrokenDriversFail, chosen by an
// environment variable) and the parent reads which subtests failed.

// brokenEnv names the broken driver a child process runs the suite on.
const brokenEnv = "GOSK_DRIVERTEST_BROKEN"

// unexempted is the child run of a driver that lacks every capability and
// exempts none.
const unexempted = "unexempted-capabilities"

// broken is a memory driver with one rule broken. It embeds the memory
// driver, so it keeps Admin and Notifier, and overrides one method.
type broken struct {
	*memory.Driver
	mu     sync.Mutex
	tokens map[int64]int64 // the latest lease token handed out per task
	last   []driver.ClaimedTask
}

// model is the model-based subtest, which should catch every broken rule
// that a sequence of operations without lease expiry can show.
const model = "Model/RandomOperationsMatchReferenceModel"

// brokenDrivers maps each broken driver to the rule it breaks and the
// subtests that must catch it (each must be among the failures).
var brokenDrivers = map[string]struct {
	rule   string
	caught []string
	// only, if set, limits the child to these subtests (a -test.run
	// pattern under TestBrokenDriversFail): proving that something never
	// happens costs the suite's whole wait limit, once per subtest group.
	only string
}{
	"finish-ignores-lease-token": {
		rule:   "Finish is fenced by the lease token",
		caught: []string{"Fencing/StaleLeaseAfterReclaim", model},
	},
	"claim-hands-out-leased-task": {
		rule:   "two claims never return the same task while its lease holds",
		caught: []string{"Claim/ConcurrentClaimersNeverShareLiveLease", "Claim/LeasesTaskAndCountsAttempt", model},
	},
	"ping-revives-final-task": {
		rule:   "a late ping never revives a finalised task",
		caught: []string{"Fencing/LatePingDoesNotReviveFinalTask", "Fencing/StaleLeaseAfterFinalise", model},
	},
	"keep-attempt-ignored": {
		rule:   "a release with KeepAttempt gives the attempt back",
		caught: []string{"Attempts/ShutdownReleaseGivesAttemptBack", model},
	},
	"duplicate-unique-key-accepted": {
		rule:   "a unique key held by a pending or running task makes a duplicate",
		caught: []string{"Unique/DuplicateReturnsExistingID", "Unique/DuplicateWithinOneBatch", model},
	},
	"lease-never-expires": {
		rule:   "a task whose lease ran out is claimable again",
		caught: []string{"Lease/ExpiryMakesTaskClaimableAgain", "Lease/LastAttemptLapseFailsTask", "Lease/PingExtendsLease"},
		only:   "^Lease$",
	},
	"fifo-claims-newest": {
		rule:   "Fifo hands out the oldest task first",
		caught: []string{"Order/FifoOldestFirst", model},
	},
	"retry-hides-taken-key": {
		rule:   "Retry of a task whose unique key another task holds is ErrDuplicate",
		caught: []string{"Admin/RetryRefusesKeyTakenMeanwhile", "Admin/RetryKeyTakenEarlierInBatchIsDuplicate"},
		only:   "^Admin$",
	},
	"cancelled-context-ignored": {
		rule:   "a call with a cancelled context returns its error and applies nothing",
		caught: []string{"Context/CancelledCreateStoresNothing", "Context/CancelledClaimTakesNothing"},
	},
}

func (b *broken) Create(ctx context.Context, tasks []driver.NewTask) ([]driver.CreateResult, error) {
	switch os.Getenv(brokenEnv) {
	case "cancelled-context-ignored":
		ctx = context.WithoutCancel(ctx)
	case "duplicate-unique-key-accepted":
		res, err := b.Driver.Create(ctx, tasks)
		if err != nil {
			return res, err
		}
		for i := range res {
			if errors.Is(res[i].Err, driver.ErrDuplicate) {
				again := tasks[i]
				again.UniqueKey = ""
				r, err := b.Driver.Create(ctx, []driver.NewTask{again})
				if err != nil {
					return nil, err
				}
				res[i] = r[0]
			}
		}
		return res, nil
	}
	return b.Driver.Create(ctx, tasks)
}

func (b *broken) Claim(ctx context.Context, p driver.ClaimParams) ([]driver.ClaimedTask, error) {
	switch os.Getenv(brokenEnv) {
	case "cancelled-context-ignored":
		ctx = context.WithoutCancel(ctx)
	case "lease-never-expires":
		p.Lease *= 1000
	case "fifo-claims-newest":
		if p.Rule == driver.Fifo {
			p.Rule = driver.Lifo
		}
	}
	got, err := b.Driver.Claim(ctx, p)
	if err != nil {
		return got, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, c := range got {
		b.tokens[c.Task.ID] = c.Lease.Token
	}
	if os.Getenv(brokenEnv) == "claim-hands-out-leased-task" {
		limit := max(p.Limit, 1)
		for _, c := range b.last {
			if len(got) < limit && c.Task.Queue == p.Queue && !slices.ContainsFunc(got, func(g driver.ClaimedTask) bool { return g.Task.ID == c.Task.ID }) {
				got = append(got, c)
			}
		}
		if len(got) > 0 {
			b.last = got
		}
	}
	return got, nil
}

func (b *broken) Ping(ctx context.Context, leases []driver.Lease, extend time.Duration) ([]error, error) {
	errs, err := b.Driver.Ping(ctx, leases, extend)
	if err != nil || os.Getenv(brokenEnv) != "ping-revives-final-task" {
		return errs, err
	}
	for i, l := range leases {
		if r, err := b.Get(ctx, l.TaskID); err == nil && r.State.Final() {
			errs[i] = nil
		}
	}
	return errs, nil
}

func (b *broken) Finish(ctx context.Context, outcomes []driver.Outcome) ([]error, error) {
	switch os.Getenv(brokenEnv) {
	case "finish-ignores-lease-token":
		outcomes = slices.Clone(outcomes)
		b.mu.Lock()
		for i := range outcomes {
			if tok, ok := b.tokens[outcomes[i].Lease.TaskID]; ok {
				outcomes[i].Lease.Token = tok
			}
		}
		b.mu.Unlock()
	case "keep-attempt-ignored":
		outcomes = slices.Clone(outcomes)
		for i := range outcomes {
			outcomes[i].KeepAttempt = false
		}
	}
	return b.Driver.Finish(ctx, outcomes)
}

func (b *broken) Retry(ctx context.Context, ids []int64) ([]error, error) {
	errs, err := b.Driver.Retry(ctx, ids)
	if err != nil || os.Getenv(brokenEnv) != "retry-hides-taken-key" {
		return errs, err
	}
	for i := range errs {
		if errors.Is(errs[i], driver.ErrDuplicate) {
			errs[i] = nil
		}
	}
	return errs, nil
}

// runBroken runs the suite on the broken driver called name: the work of
// TestBrokenDriversFail in a child process.
func runBroken(t *testing.T, name string) {
	if name == unexempted {
		drivertest.Run(t, drivertest.Harness{New: plainHarness().New})
		return
	}
	h := memoryHarness()
	h.New = func(testing.TB) driver.Driver {
		return &broken{Driver: memory.New(nil), tokens: map[int64]int64{}}
	}
	h.Tx = func(_ testing.TB, d driver.Driver) (driver.Creator, func() error, func() error) {
		tx := d.(*broken).Begin()
		return tx, tx.Commit, tx.Rollback
	}
	drivertest.Run(t, h)
}

var failLine = regexp.MustCompile(`--- FAIL: TestBrokenDriversFail/(\S+/\S+)`)

// TestBrokenDriversFail shows that each broken driver fails the suite, and
// in which subtests. It runs the test binary again once per broken driver,
// with the environment naming the driver; in that child, this same test
// runs the suite on it.
func TestBrokenDriversFail(t *testing.T) {
	if name := os.Getenv(brokenEnv); name != "" {
		runBroken(t, name)
		return
	}
	if testing.Short() {
		t.Skip("runs the whole suite once per broken driver; skipped with -short")
	}
	for name, bd := range brokenDrivers {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			run := "^TestBrokenDriversFail$"
			if bd.only != "" {
				run += "/" + bd.only
			}
			cmd := exec.CommandContext(t.Context(), os.Args[0],
				"-test.run="+run, "-test.v", "-test.count=1", "-test.parallel=8",
				"-rapid.nofailfile", "-rapid.shrinktime=2s", "-rapid.checks=500")
			cmd.Env = append(os.Environ(), brokenEnv+"="+name)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			require.ErrorAs(t, err, &exit, "the suite must fail on a driver that breaks the rule %q; output:\n%s", bd.rule, out)
			var failed []string
			for _, m := range failLine.FindAllStringSubmatch(string(out), -1) {
				failed = append(failed, m[1])
			}
			for _, want := range bd.caught {
				assert.Contains(t, failed, want, "subtest %s must catch a driver that breaks the rule %q", want, bd.rule)
			}
			t.Logf("%s (breaks: %s) failed %d subtests: %s", name, bd.rule, len(failed), strings.Join(failed, ", "))
		})
	}
}
