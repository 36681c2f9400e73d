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

// BudgetUsage returns, for the Run in progress of g, how many handler
// slots of the shared budget each worker holds, in the order added
// (Runners left out), and how many workers wait for one; nil and 0
// before the first Run or without a budget.
func BudgetUsage(g *Group) (held []int, waiting int) {
	g.mu.Lock()
	b := g.budget
	g.mu.Unlock()
	if b == nil {
		return nil, 0
	}
	return b.usage()
}
