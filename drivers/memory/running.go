package memory

import "time"

// runningSet is a queue's running tasks, in no order: a slice, and each
// task's place in it (task.runIdx), so that adding or removing a task
// hashes nothing. It keeps a time no lease of its tasks runs out before,
// so that a claim looks for leases that ran out only once one may have.
// The zero value is an empty set.
type runningSet struct {
	tasks []*task
	// soonest is at or before the end of every lease in the set: the
	// earliest a lease may run out. The zero time when unknown.
	soonest time.Time
}

// add puts t, which must not be in the set, in it. Its lease is told
// with leased.
func (s *runningSet) add(t *task) {
	t.runIdx = len(s.tasks)
	s.tasks = append(s.tasks, t)
}

// remove takes t, which must be in the set, out of it.
func (s *runningSet) remove(t *task) {
	i, last := t.runIdx, len(s.tasks)-1
	s.tasks[i] = s.tasks[last]
	s.tasks[i].runIdx = i
	s.tasks[last] = nil
	s.tasks = s.tasks[:last]
	t.runIdx = -1
}

// leased records that a lease of a task in the set now ends at end,
// which may be sooner than any before (a ping may shorten a lease).
func (s *runningSet) leased(end time.Time) {
	if s.soonest.IsZero() || end.Before(s.soonest) {
		s.soonest = end
	}
}

// expired appends to out the tasks whose lease has run out by now, and
// returns it; those on their last attempt it passes to fail instead,
// which takes them out of the set. It reads the tasks only when a lease
// may have run out.
func (s *runningSet) expired(out []*task, now time.Time, fail func(t *task)) []*task {
	if len(s.tasks) == 0 || (!s.soonest.IsZero() && s.soonest.After(now)) {
		return out
	}
	// Backwards, so that fail's removal, which moves the last task into
	// the place of the one removed, moves one already read.
	var soonest time.Time
	offered := len(out)
	for i := len(s.tasks) - 1; i >= 0; i-- {
		t := s.tasks[i]
		if t.rec.LeaseExpiresAt.After(now) {
			if soonest.IsZero() || t.rec.LeaseExpiresAt.Before(soonest) {
				soonest = t.rec.LeaseExpiresAt
			}
			continue
		}
		if t.rec.Attempt >= t.rec.MaxAttempts {
			fail(t)
			continue
		}
		out = append(out, t)
	}
	// The tasks offered keep their ended leases until claimed (or not, if
	// the claim takes fewer): the next claim reads them again.
	if len(out) > offered {
		soonest = now
	}
	s.soonest = soonest
	return out
}
