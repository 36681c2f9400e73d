package testclock

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestClockReadsStartUntilMoved(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	c := New(start)
	assert.Equal(t, start, c.Now())
	assert.Equal(t, start, c.Now(), "reading the clock does not move it")

	c.Add(time.Minute)
	assert.Equal(t, start.Add(time.Minute), c.Now())
	c.Add(-2 * time.Minute)
	assert.Equal(t, start.Add(-time.Minute), c.Now(), "a negative duration moves it back")
}

// TestClockIsSafeForConcurrentUse moves and reads the clock from several
// goroutines; -race reports a missing lock, and the final time shows that
// no move was lost.
func TestClockIsSafeForConcurrentUse(t *testing.T) {
	start := time.Unix(1_700_000_000, 0)
	c := New(start)
	const movers, moves = 4, 100
	var wg sync.WaitGroup
	for range movers {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for range moves {
				c.Add(time.Millisecond)
			}
		}()
		go func() {
			defer wg.Done()
			for range moves {
				assert.False(t, c.Now().Before(start), "the clock only moved forward")
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, start.Add(movers*moves*time.Millisecond), c.Now())
}
