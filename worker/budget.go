package worker

import (
	"context"
	"math/bits"
	"sync"
)

// budget is a Group's shared handler budget (GroupConfig.MaxConcurrency):
// the slots its members' handlers draw from. A member asks for slots
// before it claims, gets them at once while some are free, and otherwise
// waits; a slot comes back when its handler returns, or unused after a
// short claim. A slot that comes back while members wait goes to the
// waiting member that holds the fewest slots for its weight (held/weight,
// the larger weight first among equals), so that members with work share
// the budget in proportion to their weights, a member holding none is
// served first (no weight starves), and a member alone takes the whole
// budget. Slots are never free while a member waits: free slots are
// handed out as soon as they come back.
//
// Its methods are safe for concurrent use.
type budget struct {
	mu     sync.Mutex
	free   int
	shares []*share
}

// share is one member's account with a budget.
type share struct {
	b      *budget
	weight int

	// The fields below belong to b.mu.
	held    int           // slots granted and not yet given back
	want    int           // while waiting: most slots wanted; 0 when not waiting
	granted int           // while waiting: slots granted so far
	ready   chan struct{} // signalled when a grant is made to a waiting member
}

// newBudget returns a budget of n slots, all free.
func newBudget(n int) *budget { return &budget{free: n} }

// join opens an account of the given weight (at least 1).
func (b *budget) join(weight int) *share {
	s := &share{b: b, weight: weight, ready: make(chan struct{}, 1)}
	b.mu.Lock()
	b.shares = append(b.shares, s)
	b.mu.Unlock()
	return s
}

// acquire returns between 1 and n slots (n > 0), at once if some are
// free, else once some are granted; or 0 when ctx is done first.
func (s *share) acquire(ctx context.Context, n int) int {
	b := s.b
	b.mu.Lock()
	if b.free > 0 {
		g := min(n, b.free)
		b.free -= g
		s.held += g
		b.mu.Unlock()
		return g
	}
	s.want, s.granted = n, 0
	b.mu.Unlock()
	for {
		select {
		case <-ctx.Done():
			b.mu.Lock()
			g := s.granted
			s.want, s.granted = 0, 0
			s.held -= g
			b.free += g
			b.distribute()
			b.mu.Unlock()
			return 0
		case <-s.ready:
		}
		b.mu.Lock()
		if g := s.granted; g > 0 {
			s.want, s.granted = 0, 0
			b.mu.Unlock()
			return g
		}
		b.mu.Unlock() // a signal left over from an earlier wait
	}
}

// release gives back n slots.
func (s *share) release(n int) {
	if n <= 0 {
		return
	}
	b := s.b
	b.mu.Lock()
	s.held -= n
	b.free += n
	b.distribute()
	b.mu.Unlock()
}

// distribute hands the free slots to waiting members one at a time, each
// to the waiter with the fewest slots held for its weight, and signals
// those granted. b.mu is held.
func (b *budget) distribute() {
	for b.free > 0 {
		var best *share
		for _, s := range b.shares {
			if s.granted >= s.want {
				continue
			}
			if best == nil || s.before(best) {
				best = s
			}
		}
		if best == nil {
			return
		}
		best.granted++
		best.held++
		b.free--
		select {
		case best.ready <- struct{}{}:
		default:
		}
	}
}

// before reports whether s comes before o for the next slot: it holds
// fewer slots for its weight, or as few and weighs more.
// The products are taken in 128 bits: a weight may be any positive int,
// and held times a weight near math.MaxInt would wrap around.
func (s *share) before(o *share) bool {
	lhi, llo := bits.Mul64(uint64(s.held), uint64(o.weight))
	rhi, rlo := bits.Mul64(uint64(o.held), uint64(s.weight))
	if lhi != rhi {
		return lhi < rhi
	}
	if llo != rlo {
		return llo < rlo
	}
	return s.weight > o.weight
}

// usage returns how many slots each account holds and how many members
// wait, in join order; for tests.
func (b *budget) usage() (held []int, waiting int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, s := range b.shares {
		held = append(held, s.held)
		if s.want > 0 {
			waiting++
		}
	}
	return held, waiting
}
