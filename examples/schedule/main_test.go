package main

import (
	"io"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestSchedule runs three replicas for a few dozen slots and checks that
// every slot from the first report to the last was run exactly once.
func TestSchedule(t *testing.T) {
	const every = 50 * time.Millisecond
	slots, err := run(io.Discard, filepath.Join(t.TempDir(), "s.db"), every, 1500*time.Millisecond, 3)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(slots), 10, "reports ran")
	slices.SortFunc(slots, func(a, b time.Time) int { return a.Compare(b) })
	for i := 1; i < len(slots); i++ {
		require.Equal(t, every, slots[i].Sub(slots[i-1]), "slot %v follows %v: each slot once, none missing", slots[i], slots[i-1])
	}
}
