package main

import (
	"io"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk"
)

// TestQuickstart runs the program on a small batch and checks that every
// ending shows up as the task mix says it should.
func TestQuickstart(t *testing.T) {
	const tasks = 100 // 49, 99 broken; 24, 74 invalid; 9, 19, ..., 89 but 49 flaky
	s, err := run(io.Discard, filepath.Join(t.TempDir(), "q.db"), tasks, 2, 4)
	require.NoError(t, err)
	require.Equal(t, int64(2), s.counts[gosk.StateFailed], "broken tasks fail after their attempts")
	require.Equal(t, int64(2), s.counts[gosk.StateCancelled], "invalid tasks cancel themselves")
	require.Equal(t, int64(tasks-2-2), s.counts[gosk.StateCompleted])
	require.Zero(t, s.counts[gosk.StatePending]+s.counts[gosk.StateRunning])
	// 8 flaky tasks retry once; 2 broken ones retry twice before failing.
	require.Equal(t, int64(8+2*2), s.retried)
}
