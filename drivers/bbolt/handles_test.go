package bbolt_test

import (
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	goskbbolt "github.com/gosk/gosk/drivers/bbolt"
	"github.com/gosk/gosk/internal/faulttest"
	"github.com/gosk/gosk/internal/testenv"
)

// TestCloseLeavesNoFileOpen: a worker that has run and stopped, and a
// driver that Open opened and Close closed, leave no file descriptor open.
// It does not run in parallel, since it compares the process's open files
// before and after.
func TestCloseLeavesNoFileOpen(t *testing.T) {
	dir := t.TempDir()
	before := testenv.OpenFiles(t)
	d, err := goskbbolt.Open(t.Context(), filepath.Join(dir, "tasks.db"), nil)
	require.NoError(t, err)
	faulttest.Exercise(t, d, "handles", 50)
	require.NotEmpty(t, testenv.FilesUnder(t, dir), "the open driver has its file open (else this test sees nothing)")

	require.NoError(t, d.Close())
	var left []string
	assert.Eventually(t, func() bool { left = testenv.NewFiles(t, before); return len(left) == 0 }, 10*time.Second, 5*time.Millisecond)
	require.Empty(t, left, "files left open after Close")
	require.Empty(t, testenv.FilesUnder(t, dir))
	// Until here, so that the files were closed by Close, not by the
	// collector's finalizer of an unreachable *os.File.
	runtime.KeepAlive(d)
}
