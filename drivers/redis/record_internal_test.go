package redis

import (
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// unpackRecord reads every width of string and integer that packStr and
// packInt write (as cmsgpack does: see TestCreatePacksRecordsAsCmsgpack),
// false as nil, and refuses a record cut short or of another shape.
func TestUnpackRecord(t *testing.T) {
	ints := []int64{0, 1, 127, 128, 255, 256, 65535, 65536, math.MaxUint32, math.MaxUint32 + 1, math.MaxInt64,
		-1, -32, -33, -128, -129, -32768, -32769, math.MinInt32, math.MinInt32 - 1, math.MinInt64}
	strs := []string{"", "a", strings.Repeat("s", 31), strings.Repeat("s", 32), strings.Repeat("s", 255),
		strings.Repeat("s", 256), strings.Repeat("s", 65535), strings.Repeat("s", 65536)}
	for k := range max(len(ints), len(strs)) {
		n, s := ints[k%len(ints)], strs[k%len(strs)]
		b := []byte{0x9e}
		b = packStr(b, "q")
		b = packStr(b, s)
		b = packInt(b, n)
		b = packStr(b, "uk")
		b = packStr(b, "running")
		for range 8 {
			b = packInt(b, n)
		}
		b = append(b, 0xc2)
		v, err := unpackRecord("0000000000000001", string(b))
		require.NoError(t, err)
		want := []any{"0000000000000001", "q", s, n, "uk", "running", n, n, n, n, n, n, n, n, nil}
		// e is the eighth field: a string in a real record, an integer here.
		require.Equal(t, want, v, "int %d, string of %d bytes", n, len(s))
		_, err = unpackRecord("1", string(b[:len(b)-1]))
		require.Error(t, err, "cut short")
	}
	_, err := unpackRecord("1", "\x93\x01\x02\x03")
	require.ErrorContains(t, err, "3 fields")
	_, err = unpackRecord("1", "\xa1x")
	require.ErrorContains(t, err, "not an array")
}
