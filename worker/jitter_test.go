package worker

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestJitterOfHugeIntervals checks that jitter keeps within 20% of d, and
// within the longest Duration, for every d up to math.MaxInt64: an
// interval of centuries (a PollInterval or RetentionInterval meant as
// "never") once overflowed into a negative wait, or made rand.N panic.
func TestJitterOfHugeIntervals(t *testing.T) {
	for _, d := range []time.Duration{
		1, 4, 5, time.Second,
		200 * 365 * 24 * time.Hour, // over math.MaxInt64/2
		math.MaxInt64 / 2, math.MaxInt64/2 + 1,
		math.MaxInt64 / 6 * 5, math.MaxInt64 - 1, math.MaxInt64,
	} {
		for range 200 {
			var got time.Duration
			require.NotPanics(t, func() { got = jitter(d) }, "jitter(%d)", d)
			require.GreaterOrEqual(t, got, d-d/5, "jitter(%d) is at least 80%% of it", d)
			require.LessOrEqual(t, int64(got-d), int64(d/5)+1, "jitter(%d) is at most 120%% of it", d)
		}
	}
}
