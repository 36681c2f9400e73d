package worker

import (
	"context"
	"time"
)

// SetScheduleSleep replaces how s waits, for tests that move a clock
// instead of waiting for real time.
func SetScheduleSleep(s *Schedule, sleep func(ctx context.Context, d time.Duration) error) {
	s.sleep = sleep
}

// SpecPrev is Spec.prev, the last slot at or before t.
func SpecPrev(s Spec, t time.Time) time.Time { return s.prev(t) }

// SpecNext is Spec.next, the first slot after t.
func SpecNext(s Spec, t time.Time) time.Time { return s.next(t) }
