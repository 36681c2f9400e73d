package worker_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/worker"
)

// The deprecated gosk.ErrNoTask is worker.ErrNoTask itself, so code that
// tests for the old name keeps working.
func TestErrNoTaskIsTheOldName(t *testing.T) {
	t.Parallel()
	require.Same(t, worker.ErrNoTask, gosk.ErrNoTask) //nolint:staticcheck // the deprecated name is what this test is about
}
