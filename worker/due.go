package worker

import (
	"slices"
	"sync"
	"time"
)

// maxDues bounds the due times of its own releases a worker remembers;
// releases due later than all of them are found by polling.
const maxDues = 1024

// dueTracker remembers when the tasks a worker released for a retry or a
// snooze become available again, so that the claim loop claims them then
// rather than at its next poll. Every due time is kept, earliest first,
// not only the earliest, so that a retry due after another is not left to
// the next poll; at most maxDues of them are, the latest dropped first.
//
// The finisher adds due times and the claim loop reads them; its methods
// are safe for concurrent use. Times are on the process clock, near
// enough to the store's for a wake-up.
type dueTracker struct {
	mu    sync.Mutex
	times []time.Time // earliest first

	// sooner receives a value when the earliest due time moves earlier,
	// so that the claim loop resets its timer.
	sooner chan struct{}
}

// newDueTracker returns a tracker that knows no due time.
func newDueTracker() *dueTracker {
	return &dueTracker{sooner: make(chan struct{}, 1)}
}

// add records that a task becomes available at at, and signals sooner if
// that is earlier than every due time known.
func (d *dueTracker) add(at time.Time) {
	d.mu.Lock()
	i, _ := slices.BinarySearchFunc(d.times, at, time.Time.Compare)
	if i < maxDues {
		if len(d.times) == maxDues {
			d.times = d.times[:maxDues-1]
		}
		d.times = slices.Insert(d.times, i, at)
	}
	d.mu.Unlock()
	if i == 0 {
		select {
		case d.sooner <- struct{}{}:
		default:
		}
	}
}

// next returns how long after now the earliest due time comes (zero if
// it has passed), and false if there is none.
func (d *dueTracker) next(now time.Time) (time.Duration, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.times) == 0 {
		return 0, false
	}
	return max(d.times[0].Sub(now), 0), true
}

// pass forgets the due times not after now and returns next of the rest.
func (d *dueTracker) pass(now time.Time) (time.Duration, bool) {
	d.mu.Lock()
	n := 0
	for n < len(d.times) && !d.times[n].After(now) {
		n++
	}
	d.times = slices.Delete(d.times, 0, n)
	d.mu.Unlock()
	return d.next(now)
}
