package worker

import (
	"context"
	"fmt"
	"sync"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/driver"
)

// attempt is one claim of a task by this worker, held from the claim
// until its outcome is stored or its lease is known lost. A task that
// the worker claims again after its lease ran out is a new attempt.
type attempt[T any] struct {
	lease driver.Lease
	// rec is the claimed record, in the claim's results, until the
	// handler's goroutine decodes it into task (see decode): the decoding
	// is spread over the handlers rather than done by the claim loop, one
	// task after another. The results go once every attempt of the claim
	// has dropped its record (see dropRecord).
	rec       *driver.TaskRecord
	task      *gosk.Task[T] // nil until decoded, and if never run
	decodeErr error         // the payload did not decode: the handler is not called
	cancel    context.CancelCauseFunc
	info      TaskInfo
	// ctx is the handler's context, which cancel cancels.
	ctx context.Context

	// state belongs to the ledger that holds the attempt: only its
	// methods read or write it, under its lock.
	state attemptState
}

// dropRecord lets go of a's claimed record and of the payload and
// result bytes it holds (the claim's results, which the record is part
// of, stay until every attempt of the claim has dropped its own).
func (a *attempt[T]) dropRecord() {
	if a.rec != nil {
		a.rec.Payload, a.rec.Result = nil, nil
		a.rec = nil
	}
}

// release lets go of what a forgotten attempt holds but its info: its
// record, task and context.
func (a *attempt[T]) release() {
	a.dropRecord()
	a.task, a.decodeErr = nil, nil
	a.ctx, a.cancel = nil, nil
}

// attemptState is where an attempt has got to. The handler's goroutine,
// the pinger, the claim loop and the shutdown each change it, through
// the ledger; the finisher reads it to decide what to store.
type attemptState struct {
	returned bool // the handler has returned, or was never started
	lost     bool // the lease is lost: a ping said so, or the task was claimed again
	shutdown bool // the shutdown cancelled the handler, or it was never started
}

// ledger records the attempts a worker holds, running or waiting for
// their outcome to be stored, and owns their state: every read and
// change of an attempt's state, and of the counts the claim loop sizes
// its claims by, goes through its methods. Its methods are safe for
// concurrent use; those that cancel a handler do it under the lock, so
// that a handler is never cancelled twice for two reasons.
type ledger[T any] struct {
	mu sync.Mutex
	// byTask is the current attempt of each task held.
	byTask map[int64]*attempt[T]
	// orphans are attempts whose task this worker claimed again after
	// their lease ran out (pings failed for a whole lease): lost, but
	// their handlers hold a slot until they return.
	orphans map[*attempt[T]]struct{}
	// running counts the handlers that have not returned.
	running int
	// queue holds the attempts claimed ahead (Config.Prefetch), in claim
	// order, waiting for a handler. The shutdown empties it (drain) once
	// the claim loop has returned, so nothing joins it after.
	queue []*attempt[T]
	// owed counts the results still to come to the inbox: one per
	// attempt held, from hold until its result is put in the inbox.
	owed int

	// The inbox (inbox.go): results on their way to the finisher.
	inbox    []result[T]
	closed   bool          // the shutdown closed the inbox: no result comes after those in it
	finWant  int           // while the finisher sleeps: the results it waits for (see arm); 0 when it does not
	finWake  chan struct{} // signalled when the finisher may stop sleeping
	roomWant int           // while the claim loop sleeps: the room it waits for (see awaitRoom); 0 when none
	// roomConc and roomPrefetch are the claim loop's Concurrency and
	// Prefetch, by which room is counted for roomWant.
	roomConc, roomPrefetch int
}

// newLedger returns an empty ledger.
func newLedger[T any]() *ledger[T] {
	return &ledger[T]{
		byTask:  make(map[int64]*attempt[T]),
		orphans: make(map[*attempt[T]]struct{}),
		finWake: make(chan struct{}, 1),
	}
}

// hold records a new attempt, whose handler is about to start, or, with
// stopping, one that will never start (the worker began its shutdown
// while the claim was in flight): that one counts as returned and shut
// down. If the ledger still holds an earlier attempt of the same task,
// whose lease ran out before this claim took the task again, that
// attempt is marked lost, its handler cancelled, and hold reports true.
func (l *ledger[T]) hold(a *attempt[T], stopping bool) (reclaimed bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	reclaimed = l.holdLocked(a)
	if stopping {
		a.state.returned = true
		a.state.shutdown = true
	} else {
		l.running++
	}
	return reclaimed
}

// holdLocked records a new attempt for hold and holdAll, with l.mu
// held.
func (l *ledger[T]) holdLocked(a *attempt[T]) (reclaimed bool) {
	if old := l.byTask[a.lease.TaskID]; old != nil {
		if !old.state.lost {
			old.state.lost = true
			old.cancel(fmt.Errorf("worker: task %d claimed again after its lease ran out: %w", a.lease.TaskID, driver.ErrLeaseLost))
		}
		l.orphans[old] = struct{}{}
		reclaimed = true
	}
	l.byTask[a.lease.TaskID] = a
	l.owed++
	return reclaimed
}

// returned records that a's handler has returned.
func (l *ledger[T]) returned(a *attempt[T]) {
	l.mu.Lock()
	defer l.mu.Unlock()
	a.state.returned = true
	l.running--
}

// queueOrRun records a new attempt, as hold does, and reports whether
// its handler is to start now: a handler slot of concurrency is free. If
// not, the attempt waits in the queue for one (see next).
func (l *ledger[T]) queueOrRun(a *attempt[T], concurrency int) (reclaimed, run bool) {
	n, ids := l.holdAll([]*attempt[T]{a}, concurrency, false)
	return len(ids) > 0, n == 1
}

// holdAll records the attempts of one claim, in one call, as hold (with
// stopping) or queueOrRun (without) would one by one: without stopping,
// the first run of them take free handler slots of concurrency and are
// to start now, and the rest wait in the queue. reclaimed names the
// tasks of which an earlier attempt was still held (see hold).
func (l *ledger[T]) holdAll(as []*attempt[T], concurrency int, stopping bool) (run int, reclaimed []int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, a := range as {
		if l.holdLocked(a) {
			reclaimed = append(reclaimed, a.lease.TaskID)
		}
		switch {
		case stopping:
			a.state.returned = true
			a.state.shutdown = true
		case l.running < concurrency:
			l.running++
			run++
		default:
			l.queue = append(l.queue, a)
		}
	}
	return run, reclaimed
}

// next records that a's handler has returned, as returned does, puts
// its result res in the inbox, and hands the slot to the first attempt
// waiting in the queue, which it returns. If none waits it returns nil
// and frees the slot, or, with keep, leaves it to the handler, to look
// once more with resume (a claim may be about to fill the queue). Waiting
// attempts whose lease was lost meanwhile are not started: they are
// marked returned and their results (errNotRun) put in the inbox. It
// reports whether the claim loop is to be woken: the room it waits for
// has come (see awaitRoom).
func (l *ledger[T]) next(a *attempt[T], res result[T], keep bool) (next *attempt[T], wakeClaim bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	a.state.returned = true
	l.putLocked(res)
	next = l.popLocked()
	if next == nil && !keep {
		l.running--
	}
	return next, l.roomCameLocked()
}

// resume is next's second look, for a handler that kept its slot when
// the queue was empty: it returns the first attempt waiting now, if any,
// or frees the slot and returns nil; and it reports whether the claim
// loop is to be woken, as next does.
func (l *ledger[T]) resume() (next *attempt[T], wakeClaim bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if next = l.popLocked(); next == nil {
		l.running--
	}
	return next, l.roomCameLocked()
}

// popLocked takes the first attempt waiting in the queue whose lease is
// not lost, or returns nil; a lost one it passes over is marked returned
// and its result (errNotRun) put in the inbox. With l.mu held.
func (l *ledger[T]) popLocked() *attempt[T] {
	for len(l.queue) > 0 {
		n := l.queue[0]
		l.queue[0] = nil
		l.queue = l.queue[1:]
		if !n.state.lost {
			return n
		}
		n.state.returned = true
		l.putLocked(result[T]{a: n, err: errNotRun})
	}
	return nil
}

// drain empties the queue for the shutdown: the attempts that waited
// never start; they are marked returned and, unless lost, shut down,
// their handlers' contexts cancelled (ErrShutdown), and their results
// (errNotRun) put in the inbox.
func (l *ledger[T]) drain() {
	l.mu.Lock()
	defer l.mu.Unlock()
	q := l.queue
	l.queue = nil
	for _, a := range q {
		a.state.returned = true
		if !a.state.lost {
			a.state.shutdown = true
		}
		a.cancel(ErrShutdown)
		l.putLocked(result[T]{a: a, err: errNotRun})
	}
}

// lose records that a ping found lease lost, and cancels the handler of
// the attempt that holds it with cause. It does nothing, and reports
// false, when that attempt's handler has returned: its outcome is on its
// way to Finish, which reports a lost lease itself, so a ping racing that
// Finish is no news.
func (l *ledger[T]) lose(lease driver.Lease, cause error) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	a := l.byTask[lease.TaskID]
	if a == nil || a.lease != lease || a.state.lost || a.state.returned {
		return false
	}
	a.state.lost = true
	a.cancel(fmt.Errorf("worker: task %d: %w", lease.TaskID, cause))
	return true
}

// stop cancels the handlers still running, with the cause ErrShutdown,
// when the shutdown timeout has run out, and returns how many. Those
// whose lease is not lost are marked shut down, so that an error they
// return releases the task with its attempt given back.
func (l *ledger[T]) stop() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	stop := func(a *attempt[T]) {
		if a.state.returned {
			return
		}
		if !a.state.lost {
			a.state.shutdown = true
		}
		a.cancel(ErrShutdown) // a lost attempt's context already has its cause
		n++
	}
	for _, a := range l.byTask {
		stop(a)
	}
	for a := range l.orphans {
		stop(a)
	}
	return n
}

// fate reports whether a's lease is lost and whether the shutdown
// cancelled its handler (or it never started).
func (l *ledger[T]) fate(a *attempt[T]) (lost, shutdown bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return a.state.lost, a.state.shutdown
}

// leases returns the leases to ping: those of the current attempts not
// known lost.
func (l *ledger[T]) leases() []driver.Lease {
	l.mu.Lock()
	defer l.mu.Unlock()
	leases := make([]driver.Lease, 0, len(l.byTask))
	for _, a := range l.byTask {
		if !a.state.lost {
			leases = append(leases, a.lease)
		}
	}
	return leases
}

// forget drops an attempt whose outcome is stored, given up or lost.
func (l *ledger[T]) forget(a *attempt[T]) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.forgetLocked(a)
}

// forgetAll forgets the attempts of a batch of outcomes, as forget does.
func (l *ledger[T]) forgetAll(batch []outcome[T]) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := range batch {
		l.forgetLocked(batch[i].a)
	}
}

// dropLost takes out of batch, in place, the outcomes of attempts whose
// lease is now lost, and returns what is left and those taken out, each
// in batch order.
func (l *ledger[T]) dropLost(batch []outcome[T]) (live, lost []outcome[T]) {
	l.mu.Lock()
	defer l.mu.Unlock()
	live = batch[:0]
	for _, o := range batch {
		if o.a.state.lost {
			lost = append(lost, o)
			continue
		}
		live = append(live, o)
	}
	return live, lost
}

// forgetLocked is forget, with l.mu held. The attempt's handler has
// returned, or never ran, and only its info is read after: what it holds
// goes now, although the claim's other attempts, allocated with it (see
// engine.start), may keep it for longer.
func (l *ledger[T]) forgetLocked(a *attempt[T]) {
	defer a.release()
	if l.byTask[a.lease.TaskID] == a {
		delete(l.byTask, a.lease.TaskID)
	} else {
		delete(l.orphans, a)
	}
}

// free is how many tasks the worker may claim now, with concurrency
// handlers at most: a slot is free when its handler has returned, so
// that claims overlap the storing of outcomes, as long as the attempts
// held (running or waiting for their outcome to be stored) stay within
// twice concurrency.
func (l *ledger[T]) free(concurrency int) int {
	return l.room(concurrency, 0)
}

// room is free with prefetch tasks claimed ahead (Config.Prefetch): how
// many tasks the worker may claim now, so that its handlers and its
// queue hold concurrency+prefetch at most, and the attempts held stay
// within twice that.
func (l *ledger[T]) room(concurrency, prefetch int) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.roomLocked(concurrency, prefetch)
}

// roomLocked is room, with l.mu held.
func (l *ledger[T]) roomLocked(concurrency, prefetch int) int {
	most := concurrency + prefetch
	return min(most-l.running-len(l.queue), 2*most-len(l.byTask)-len(l.orphans))
}

// held is how many attempts the ledger holds.
func (l *ledger[T]) held() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.byTask) + len(l.orphans)
}

// handling is how many handlers are running.
func (l *ledger[T]) handling() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.running
}

// owing is how many results are still to come to the inbox: those of
// the attempts held whose handler has not returned.
func (l *ledger[T]) owing() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.owed
}

// waiting is how many outcomes wait to be stored: attempts held whose
// handler has returned.
func (l *ledger[T]) waiting() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.byTask) + len(l.orphans) - l.running - len(l.queue)
}
