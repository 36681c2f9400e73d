package worker

// The ledger's inbox carries the handlers' results to the finisher, and
// its wake-ups tell the finisher and the claim loop when what they wait
// for has come. A channel would wake the finisher for every result, and
// the claim loop for every handler that returns: each a goroutine switch,
// and on another processor a thread to wake, for a task that may take
// less than that to run. Here a handler's return is one lock of the
// ledger, which it takes anyway; the finisher is woken for the first
// result of a batch and then once the batch is full or no more result
// is owed, and the claim loop once the room it waits for is free.

// putLocked puts res in the inbox, with l.mu held: one of the results
// owed has come. It wakes the finisher if that is what it waits for.
func (l *ledger[T]) putLocked(res result[T]) {
	l.inbox = append(l.inbox, res)
	l.owed--
	if l.finWant > 0 && (len(l.inbox) >= l.finWant || l.owed == 0) {
		l.wakeFinisherLocked()
	}
}

// put puts res in the inbox: the result of an attempt whose handler
// never started, or, in tests, of one whose handler has returned.
func (l *ledger[T]) put(res result[T]) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.putLocked(res)
}

// closeInbox records that no result comes after those in the inbox:
// every handler has returned. It wakes the finisher.
func (l *ledger[T]) closeInbox() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	l.wakeFinisherLocked()
}

// wakeFinisherLocked signals finWake and disarms it, with l.mu held.
func (l *ledger[T]) wakeFinisherLocked() {
	l.finWant = 0
	select {
	case l.finWake <- struct{}{}:
	default:
	}
}

// take moves up to n results from the inbox to out, in the order they
// came, each with its attempt's fate now (see fate), and returns it; done
// reports that the inbox is closed and empty: no result will come.
func (l *ledger[T]) take(out []result[T], n int) (_ []result[T], done bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := min(n, len(l.inbox))
	from := len(out)
	out = append(out, l.inbox[:k]...)
	for i := from; i < len(out); i++ {
		out[i].lost, out[i].shutdown = out[i].a.state.lost, out[i].a.state.shutdown
	}
	rest := copy(l.inbox, l.inbox[k:])
	clear(l.inbox[rest:])
	l.inbox = l.inbox[:rest]
	return out, l.closed && len(l.inbox) == 0
}

// armState is what arm found.
type armState int

const (
	armSleep   armState = iota // nothing is ready: the finisher may wait on finWake
	armReady                   // results are ready: the finisher takes them
	armNothing                 // nothing is ready, and nothing will come (none owed, or the inbox closed)
)

// arm prepares the finisher's sleep: if no result is ready and the
// inbox is open, it arms finWake to be signalled once want results are
// ready, or once none is owed, and returns armSleep. With batch (the
// finisher holds a batch it is filling), nothing owed means nothing to
// wait for, and arm returns armNothing; without, the finisher waits for
// the first result of its next batch, owed or not yet.
func (l *ledger[T]) arm(want int, batch bool) armState {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case len(l.inbox) > 0:
		return armReady
	case l.closed, batch && l.owed == 0:
		return armNothing
	}
	// A signal left from an earlier sleep would end this one at once;
	// the finisher only takes again and sleeps again, so it is not
	// drained here.
	l.finWant = want
	return armSleep
}

// awaitRoom prepares the claim loop's sleep: it returns the room free
// now (see room) for a claim loop of concurrency handlers and prefetch,
// and, if that is less than want, arms the wake-up that a returning
// handler gives once want is free (see next). want 0 arms nothing: the
// claim loop is not waiting for room. The finisher wakes the claim loop
// after every group of outcomes it settles, armed or not.
func (l *ledger[T]) awaitRoom(concurrency, prefetch, want int) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	room := l.roomLocked(concurrency, prefetch)
	l.roomWant, l.roomConc, l.roomPrefetch = 0, concurrency, prefetch
	if want > 0 && room < want {
		l.roomWant = want
	}
	return room
}

// roomCameLocked reports, and disarms, a wake-up of the claim loop armed
// by awaitRoom whose room has come; with l.mu held.
func (l *ledger[T]) roomCameLocked() bool {
	if l.roomWant == 0 || l.roomLocked(l.roomConc, l.roomPrefetch) < l.roomWant {
		return false
	}
	l.roomWant = 0
	return true
}
