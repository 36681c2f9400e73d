package drivertest

import (
	"testing"
	"time"

	"github.com/gosk/gosk/internal/testclock"
)

// newClock returns a clock that the suite moves by hand, handed to drivers
// made by Harness.NewClocked. It starts a day before the real time, on a
// whole millisecond, and only moves forward, in whole milliseconds, when a
// subtest advances it: a store that keeps milliseconds keeps its times
// exactly, and a driver that reads time.Now anywhere instead of its clock
// shows times a day off.
func newClock() *testclock.Clock {
	return testclock.New(time.Now().Add(-clockBehind).Truncate(time.Millisecond))
}

// clockBehind is how far behind the real time a clock starts.
const clockBehind = 24 * time.Hour

// clocked returns a fixture whose driver reads the time from a clock the
// subtest moves, and that clock; or, when the harness has no NewClocked
// (the store keeps its own clock), a fixture from New and a nil clock.
func (s *suite) clocked(t *testing.T) (*fixture, *testclock.Clock) {
	t.Helper()
	if s.h.NewClocked == nil {
		return s.fresh(t), nil
	}
	c := newClock()
	f := s.fixtureFor(t, s.h.NewClocked(t, c.Now))
	return f, c
}
