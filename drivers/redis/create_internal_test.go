package redis

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
)

// parseCreate reads both forms of create.lua's reply: the sequence number
// alone (every task stored, IDs in order from it) and the sequence number
// with a code per task (0 for stored, the holder's ID for a duplicate),
// each result landing at its task's index; a reply of another length is
// refused.
func TestParseCreate(t *testing.T) {
	const slot, seq = 7, int64(40)
	id := func(k int64) int64 { return (seq+k)<<slotBits | slot }
	idx := []int{2, 0, 1}

	out := make([]driver.CreateResult, 3)
	require.NoError(t, parseCreate([]any{seq}, slot, idx, out))
	require.Equal(t, []driver.CreateResult{{ID: id(1)}, {ID: id(2)}, {ID: id(0)}}, out, "the short reply: every task stored")

	out = make([]driver.CreateResult, 3)
	require.NoError(t, parseCreate([]any{seq, int64(0), "0000000000163847", int64(0)}, slot, idx, out))
	require.Equal(t, []driver.CreateResult{{ID: 163847, Err: driver.ErrDuplicate}, {ID: id(2)}, {ID: id(0)}}, out,
		"the long reply: the second task a duplicate")

	require.Error(t, parseCreate([]any{seq, int64(0)}, slot, idx, make([]driver.CreateResult, 3)), "a code for one task of three")
	require.Error(t, parseCreate([]any{"40"}, slot, idx, make([]driver.CreateResult, 3)), "a sequence number that is no integer")
}
