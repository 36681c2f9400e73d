// Package testclock is a clock that tests move by hand, for the drivers and
// queues that take their time from an injected func() time.Time (pass
// Clock.Now). It is safe for concurrent use: a worker's goroutines read it
// while the test moves it, and it moves only when the test says so.
package testclock

import (
	"sync"
	"time"
)

// Clock is a settable clock. Make it with New.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// New returns a clock that reads start until it is moved.
func New(start time.Time) *Clock {
	return &Clock{now: start}
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Add moves the clock by d (backwards when d is negative).
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
