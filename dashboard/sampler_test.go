package dashboard

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestSamplerKeepsTheListedQueues: a sampler keeps the last n samples of
// each queue, and keep drops the samples of a queue no longer listed.
func TestSamplerKeepsTheListedQueues(t *testing.T) {
	t.Parallel()
	s := newSampler(2)
	at := time.Unix(0, 0)
	for i := range 3 {
		s.add("a", point{at: at.Add(time.Duration(i) * time.Second)})
	}
	s.add("b", point{at: at})
	got := s.points("a")
	require.Len(t, got, 2)
	require.Equal(t, at.Add(time.Second), got[0].at, "the oldest sample went first")
	s.keep([]string{"a", "c"})
	require.Len(t, s.points("a"), 2)
	require.Empty(t, s.points("b"))
	require.Len(t, s.series, 1, "a queue kept but never sampled takes no room")
}
