package drivertest_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestModelFailureReport shows what a driver author sees when the model
// test catches a broken rule: the rule first, then a short sequence, none
// of rapid's step logs, and no fail file written into the package (the
// child runs in an empty directory, which must stay empty). The driver is
// the broken one of TestBrokenDriversFail whose Finish ignores the lease
// token.
func TestModelFailureReport(t *testing.T) {
	if os.Getenv(brokenEnv) != "" {
		t.Skip("this is a child process")
	}
	if testing.Short() {
		t.Skip("runs the model on a broken driver in a child process; skipped with -short")
	}
	t.Parallel()
	dir := t.TempDir()
	cmd := exec.CommandContext(t.Context(), os.Args[0],
		"-test.run=^TestBrokenDriversFail$/^Model$", "-test.count=1", "-rapid.shrinktime=5s")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), brokenEnv+"=finish-ignores-lease-token")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "the model must fail on a driver whose Finish ignores the lease token; output:\n%s", out)
	text := string(out)

	var report []string
	for _, line := range strings.Split(text, "\n") {
		if strings.Contains(line, "rule broken:") || len(report) > 0 {
			report = append(report, line)
		}
	}
	require.NotEmpty(t, report, "the failure names the broken rule; output:\n%s", text)
	assert.Contains(t, report[0], "rule broken: an outcome (Finish) by a stale lease", "the first line names the rule that broke")
	// What the broken driver did depends on the sequence rapid found: it
	// applies the stale outcome (nil), or turns it away for the wrong
	// reason (ErrTaskConflict, when the task was already final).
	assert.Regexp(t, `; got (nil|.*(ErrTaskConflict|conflict))`, report[0], "the first line says what the driver did")
	require.Greater(t, len(report), 1)
	assert.Contains(t, report[1], "shortest failing sequence found", "the sequence follows the rule")
	assert.NotContains(t, text, "[rapid] draw", "rapid's step logs stay out of the output")
	assert.Less(t, len(strings.Split(text, "\n")), 60, "the whole failure is short; output:\n%s", text)

	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries, "the suite writes no files (rapid's testdata/rapid) into the package under test unless asked")
}
