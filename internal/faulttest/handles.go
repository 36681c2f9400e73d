package faulttest

import (
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/internal/testenv"
)

// CloseLeavesNoFileOpen checks, for a driver on a file, that a worker that
// has run and stopped, and a driver that open opened and Close closed,
// leave no file descriptor open. open gets the path of a new file. The
// caller must not run in parallel: the check compares the process's open
// files before and after.
func CloseLeavesNoFileOpen(t *testing.T, open func(path string) (driver.Driver, error)) {
	t.Helper()
	dir := t.TempDir()
	before := testenv.OpenFiles(t)
	d, err := open(filepath.Join(dir, "tasks.db"))
	require.NoError(t, err)
	Exercise(t, d, "handles", 50)
	require.NotEmpty(t, testenv.FilesUnder(t, dir), "the open driver has its files open (else this test sees nothing)")

	require.NoError(t, d.Close())
	var left []string
	assert.Eventually(t, func() bool { left = testenv.NewFiles(t, before); return len(left) == 0 }, 10*time.Second, 5*time.Millisecond)
	require.Empty(t, left, "files left open after Close")
	require.Empty(t, testenv.FilesUnder(t, dir))
	// Until here, so that the files were closed by Close, not by the
	// collector's finalizer of an unreachable *os.File.
	runtime.KeepAlive(d)
}
