package drivertest_test

import (
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"go.uber.org/goleak"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivers/memory"
	"github.com/gosk/gosk/drivertest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// memoryHarness runs the suite on the memory driver, the reference.
func memoryHarness() drivertest.Harness {
	return drivertest.Harness{
		New: func(testing.TB) driver.Driver { return memory.New(nil) },
		Tx: func(_ testing.TB, d driver.Driver) (driver.Creator, func() error, func() error) {
			m := d.(*memory.Driver)
			tx := m.Begin()
			return m.Tx(tx), tx.Commit, tx.Rollback
		},
		Again: func(_ testing.TB, d driver.Driver) driver.Driver { return sharedHandle{d.(*memory.Driver)} },
	}
}

// sharedHandle is a second handle on a driver whose store lives in it:
// its Close leaves the store open for the first handle, as a second
// driver on a shared store would.
type sharedHandle struct {
	*memory.Driver
}

func (sharedHandle) Close() error { return nil }

// TestMemory runs the suite on the memory driver, with the clock the suite
// moves for the subtests about time. (memoryHarness itself has no
// NewClocked: the broken drivers replace its New and would otherwise pass
// the clocked subtests on a sound driver.)
func TestMemory(t *testing.T) {
	h := memoryHarness()
	h.NewClocked = func(_ testing.TB, clock func() time.Time) driver.Driver {
		return memory.New(&memory.Options{Clock: clock})
	}
	drivertest.Run(t, h)
}

func BenchmarkMemory(b *testing.B) {
	drivertest.RunBenchmarks(b, memoryHarness())
}

// TestPlainDriver runs the suite as the package example shows: a driver
// with no optional capability, each exempted with its reason.
func TestPlainDriver(t *testing.T) {
	drivertest.Run(t, plainHarness())
}

// TestMissingCapabilityFails shows that a capability that is neither
// present nor exempted fails its subtests instead of passing silently.
func TestMissingCapabilityFails(t *testing.T) {
	if os.Getenv(brokenEnv) != "" {
		t.Skip("this is a child process")
	}
	cmd := exec.CommandContext(t.Context(), os.Args[0],
		"-test.run=^TestBrokenDriversFail$/^(Notify|Admin|Tx)$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), brokenEnv+"="+unexempted)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "a missing capability without exemption must fail; output:\n%s", out)
	for _, want := range []string{"Notify/WakesOnCreate", "Admin/CountHasEveryState", "Tx/VisibleOnlyAfterCommit"} {
		assert.Contains(t, string(out), "--- FAIL: TestBrokenDriversFail/"+want, "an unexempted missing capability fails %s", want)
	}
	assert.Contains(t, string(out), "implement it, or exempt it with Harness.Exempt[drivertest.CapNotify]", "the failure tells the author what to do")
}
