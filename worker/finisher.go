package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/driver"
)

// Tries before the finisher treats a failure of the store as a refusal of
// what it was given rather than an outage: a batch that failed splitAfter
// times in a row is stored one outcome at a time, and an outcome that
// failed refuseAfter times on its own, each time with the store seen
// answering other calls since its previous failure, is given up (see
// storeAlone).
const (
	splitAfter  = 3
	refuseAfter = 5
)

// maxNamed bounds the outcomes that the error of Run or Work names one by
// one.
const maxNamed = 10

// result is a handler's return, on its way to the finisher.
type result[T any] struct {
	a   *attempt[T]
	err error
	dur time.Duration
	// lost and shutdown are the attempt's fate (see ledger.fate) when
	// the finisher took the result from the inbox.
	lost, shutdown bool
}

// outcome is a handler's result with the outcome decided for it (see
// decide), waiting to be stored.
type outcome[T any] struct {
	result[T]
	out  driver.Outcome
	kind EventKind
	// tried says that a Finish call with this outcome failed, so that it
	// may have been stored after all.
	tried bool
}

// finisher is the goroutine that stores outcomes. It gathers handler
// results from the ledger's inbox for Config.FinishWindow (or up to a
// batch, or until no result is owed), decides their outcomes, and stores
// each batch in one Finish call, retrying a store that is down and
// giving up an outcome that the store refuses. Each attempt ends with
// one event, through report, once its outcome is stored, given up or
// known lost.
//
// Its fields are set before run and not changed after; unstored is
// written by run alone and read once run has returned.
type finisher[T any] struct {
	drv    driver.Driver
	cfg    Config
	log    *slog.Logger
	runs   *ledger[T]  // the results to store (its inbox); whether an attempt is lost or shut down
	health *health     // records the Finish calls that succeed, and is asked whether the store is up
	dues   *dueTracker // told when the tasks it releases become available
	// report tells Config.OnEvent how an attempt ended, once the
	// finisher has had the ledger forget it (see end).
	report func(a *attempt[T], ev Event)
	// freed, if not nil, tells the claim loop that the attempts reported
	// so far have freed their slots. It is called once after each group
	// of reports (a batch stored, given up or dropped), not once per
	// attempt, so that the claim loop sees the whole batch's slots free
	// and claims them in one call instead of claiming the first one or
	// two alone.
	freed func()

	unstored unstored
	// outs is the buffer of finishCall's outcomes, used again by each
	// call: a Finish call does not keep its slice once it has returned.
	outs []driver.Outcome
}

// run stores outcomes until the inbox is closed and empty. Once giveUp
// is done, outcomes whose Finish call fails are given up instead of
// retried.
func (f *finisher[T]) run(giveUp context.Context) {
	window := time.NewTimer(f.cfg.FinishWindow)
	window.Stop()
	defer window.Stop()
	// Gathering more than Concurrency+Prefetch outcomes gains nothing: by
	// then the worker holds as many tasks as it may and claims no more.
	limit := min(f.cfg.FinishBatch, f.cfg.Concurrency+f.cfg.Prefetch)
	var got []result[T]
	var batch []outcome[T]
	for {
		var done bool
		got, done = f.runs.take(got[:0], limit)
		if len(got) == 0 {
			if done {
				return
			}
			if f.runs.arm(1, false) == armSleep {
				<-f.runs.finWake
			}
			continue
		}
		batch = batch[:0]
		for _, res := range got {
			batch = f.add(batch, res)
		}
		window.Reset(f.cfg.FinishWindow)
		batch, got = f.gather(batch, got, limit, window.C)
		if len(batch) > 0 {
			f.store(giveUp, batch)
		}
	}
}

// gather adds results to batch until it holds limit, window fires, or no
// result is ready and none is owed (no handler is running or has yet to
// put its result), or the inbox is closed. buf is a buffer to take the
// results in, returned for the next call.
func (f *finisher[T]) gather(batch []outcome[T], buf []result[T], limit int, window <-chan time.Time) ([]outcome[T], []result[T]) {
	for len(batch) < limit {
		buf, _ = f.runs.take(buf[:0], limit-len(batch))
		for _, res := range buf {
			batch = f.add(batch, res)
		}
		if len(buf) > 0 {
			continue
		}
		switch f.runs.arm(limit-len(batch), true) {
		case armReady:
			continue
		case armNothing:
			return batch, buf
		}
		select {
		case <-f.runs.finWake:
		case <-window:
			return batch, buf
		}
	}
	return batch, buf
}

// add appends res's outcome to batch, or reports and drops an attempt
// whose lease is lost.
func (f *finisher[T]) add(batch []outcome[T], res result[T]) []outcome[T] {
	a := res.a
	if res.lost {
		f.log.Warn("gosk: lease lost; outcome not stored", slog.Int64("task_id", a.info.ID), slog.Int("attempt", a.info.Attempt), slog.Any("handler_error", res.err))
		f.end(a, Event{Kind: EventLeaseLost, Task: a.info, Err: gosk.ErrLeaseLost, Duration: res.dur})
		f.signal()
		return batch
	}
	return append(batch, decide(res, res.shutdown, f.cfg.Backoff))
}

// end ends an attempt whose outcome is stored, given up or lost: the
// ledger forgets it, and report tells of ev.
func (f *finisher[T]) end(a *attempt[T], ev Event) {
	f.runs.forget(a)
	f.report(a, ev)
}

// store stores a batch of outcomes, in one Finish call if it can.
//
// A failure of the whole call is retried with back-off, as an outage of
// the store, until giveUp is done (the shutdown then gives the outcomes
// up). But one outcome that the store cannot take must not hold back the
// others, nor be retried for ever: a batch that the store refuses
// (driver.ErrInvalid), or that failed splitAfter times in a row, is stored
// one outcome at a time by storeAlone.
func (f *finisher[T]) store(giveUp context.Context, batch []outcome[T]) {
	// An attempt lost since its outcome was gathered is dropped, so that a
	// batch never names a task twice (its old and its new attempt).
	batch, lost := f.runs.dropLost(batch)
	for _, o := range lost {
		f.end(o.a, Event{Kind: EventLeaseLost, Task: o.a.info, Err: driver.ErrLeaseLost, Duration: o.dur})
	}
	if len(lost) > 0 {
		f.signal()
	}
	if len(batch) == 1 {
		f.storeAlone(giveUp, batch)
		return
	}
	for failures := 1; len(batch) > 0; failures++ {
		errs, err := f.finishCall(giveUp, batch)
		if err == nil {
			f.stored(giveUp, batch, errs)
			return
		}
		switch {
		case errors.Is(err, driver.ErrClosed):
			f.giveUpOn(batch, err)
			return
		case errors.Is(err, driver.ErrInvalid), failures >= splitAfter:
			f.log.Warn("gosk: could not store a batch of outcomes; storing them one by one", slog.Any("error", err),
				slog.Int("tasks", len(batch)), slog.Int("failures", failures))
			f.storeAlone(giveUp, batch)
			return
		}
		if !sleep(giveUp, storeBackoff(failures)) {
			f.giveUpOn(batch, err)
			return
		}
		f.log.Warn("gosk: could not store outcomes; will retry", slog.Any("error", err), slog.Int("tasks", len(batch)), slog.Int("failures", failures))
	}
}

// storeAlone stores each outcome of batch in a Finish call of its own. In
// each round every outcome still waiting is tried once, so that the good
// ones are stored at once; those that failed are tried again in the next
// round, after a back-off. An outcome is refused, and given up, when the
// store says so (driver.ErrInvalid) or when it failed refuseAfter times,
// each time although the store answered another call since the outcome's
// previous failure (those of other outcomes, pings, claims, or else a
// ping of the outcome's own lease): the store is up but will not take it.
// A failure that is a timeout, or that the store shows for every call,
// is an outage, retried until giveUp is done; so is one at the edge of an
// outage, when the store answered a call and then went down: only
// failures with the store seen up in between count.
func (f *finisher[T]) storeAlone(giveUp context.Context, batch []outcome[T]) {
	rest := make([]alone[T], len(batch))
	for i, o := range batch {
		rest[i] = alone[T]{o: o, mark: f.health.answers()}
	}
	for round := 1; len(rest) > 0; round++ {
		var again []alone[T]
		var last error
		for i, a := range rest {
			errs, err := f.finishCall(giveUp, []outcome[T]{a.o})
			if err == nil {
				f.stored(giveUp, []outcome[T]{a.o}, errs)
				continue
			}
			a.o.tried = a.o.tried || !errors.Is(err, driver.ErrInvalid)
			if errors.Is(err, driver.ErrClosed) {
				rest[i] = a
				f.giveUpOn(outcomesOf(append(again, rest[i:]...)), err)
				return
			}
			a.failures++
			timeout := errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
			if !timeout {
				if f.health.answers() == a.mark {
					// Nothing else answered since this outcome's last
					// failure: ask the store about this very task, whose
					// lease a ping then also extends.
					f.probe(giveUp, a.o.a.lease)
				}
				if f.health.answers() != a.mark {
					// The store is up, yet this outcome failed.
					a.strikes++
				}
			}
			a.mark = f.health.answers()
			if errors.Is(err, driver.ErrInvalid) || a.strikes >= refuseAfter {
				f.refuse(a.o, err, a.failures)
				continue
			}
			again = append(again, a)
			last = err
		}
		rest = again
		if len(rest) == 0 {
			return
		}
		if !sleep(giveUp, storeBackoff(round)) {
			f.giveUpOn(outcomesOf(rest), last)
			return
		}
		f.log.Warn("gosk: could not store outcomes; will retry", slog.Any("error", last), slog.Int("tasks", len(rest)), slog.Int("failures", round))
	}
}

// alone is an outcome that storeAlone stores on its own.
type alone[T any] struct {
	o        outcome[T]
	failures int // failed calls
	// strikes counts the failures that came while the store was seen
	// answering: some call succeeded since this outcome's previous
	// failure (or since storeAlone began), or else a probe did.
	strikes int
	mark    uint64 // health.answers() at the previous failure
}

// outcomesOf returns the outcomes of as.
func outcomesOf[T any](as []alone[T]) []outcome[T] {
	os := make([]outcome[T], len(as))
	for i, a := range as {
		os[i] = a.o
	}
	return os
}

// probe pings one lease, so that a store that answers counts in
// f.health.
func (f *finisher[T]) probe(giveUp context.Context, l driver.Lease) {
	ctx, cancel := context.WithTimeout(giveUp, f.cfg.PingInterval)
	defer cancel()
	if errs, err := f.drv.Ping(ctx, []driver.Lease{l}, f.cfg.Lease); err == nil && len(errs) == 1 {
		f.health.answer()
	}
}

// finishCall makes one Finish call for batch.
func (f *finisher[T]) finishCall(giveUp context.Context, batch []outcome[T]) ([]error, error) {
	outs := f.outs[:0]
	for _, o := range batch {
		outs = append(outs, o.out)
	}
	defer func() {
		clear(outs) // no result bytes kept alive until the next call
		f.outs = outs[:0]
	}()
	ctx, cancel := context.WithTimeout(giveUp, f.cfg.Lease)
	errs, err := f.drv.Finish(ctx, outs)
	cancel()
	if err == nil && len(errs) != len(outs) {
		err = fmt.Errorf("driver returned %d results for %d outcomes", len(errs), len(outs))
	}
	if err != nil {
		if !errors.Is(err, driver.ErrInvalid) {
			// Refused calls change nothing; others may have applied.
			for i := range batch {
				batch[i].tried = true
			}
		}
		return nil, err
	}
	f.health.answer()
	return errs, nil
}

// stored reports the outcomes of a Finish call that succeeded, with its
// per-item errors.
func (f *finisher[T]) stored(ctx context.Context, batch []outcome[T], errs []error) {
	f.runs.forgetAll(batch) // each is reported below, stored or lost
	for i, o := range batch {
		a := o.a
		if errors.Is(errs[i], driver.ErrTaskConflict) && o.tried {
			// An earlier call that failed may have been stored after all.
			errs[i] = nil
		}
		if errs[i] != nil {
			f.log.Warn("gosk: lease lost before the outcome was stored", slog.Int64("task_id", a.info.ID), slog.Any("error", errs[i]))
			f.report(a, Event{Kind: EventLeaseLost, Task: a.info, Err: errs[i], Duration: o.dur})
			continue
		}
		if o.kind == EventRetried || o.kind == EventSnoozed {
			// Even with no delay: a driver without driver.Notifier wakes
			// nobody when a task is released.
			f.dues.add(time.Now().Add(o.out.Delay))
		}
		ev := Event{Kind: o.kind, Task: a.info, Err: o.err, Duration: o.dur, Delay: o.out.Delay, Result: o.out.Result}
		lvl := slog.LevelDebug
		if o.kind == EventRetried || o.kind == EventFailed {
			lvl = slog.LevelWarn
		}
		// Asked first, as this runs for every task: the message and the
		// attributes cost allocations even when the logger drops them.
		if f.log.Enabled(ctx, lvl) {
			f.log.LogAttrs(ctx, lvl, "gosk: task "+o.kind.String(), slog.Int64("task_id", a.info.ID), slog.Int("attempt", a.info.Attempt),
				slog.Duration("duration", o.dur), slog.Any("error", o.err))
		}
		f.report(a, ev)
	}
	f.signal()
}

// giveUpOn gives up outcomes that the store could not take before the
// shutdown gave up on it, or because it is closed.
func (f *finisher[T]) giveUpOn(batch []outcome[T], err error) {
	f.log.Error("gosk: could not store outcomes; giving up", slog.Any("error", err), slog.Int("tasks", len(batch)))
	for _, o := range batch {
		f.unstored.add(o.a.info.ID, o.kind, err)
		f.end(o.a, Event{Kind: EventNotStored, Task: o.a.info, Err: err, Duration: o.dur})
	}
	f.signal()
}

// refuse gives up one outcome that the store will not take. The task's
// lease is no longer pinged, so it runs out and the store hands the task
// out again (or fails it, "lease expired", if that was its last attempt).
func (f *finisher[T]) refuse(o outcome[T], err error, failures int) {
	f.unstored.add(o.a.info.ID, o.kind, err)
	f.log.Error("gosk: the store refused the outcome; giving up on it, the task will run again when its lease runs out",
		slog.Int64("task_id", o.a.info.ID), slog.Int("attempt", o.a.info.Attempt), slog.String("outcome", o.out.Kind.String()),
		slog.Any("error", err), slog.Int("failures", failures))
	f.end(o.a, Event{Kind: EventNotStored, Task: o.a.info, Err: fmt.Errorf("worker: the store refused the outcome: %w", err), Duration: o.dur})
	f.signal()
}

// signal calls freed, if set, after a group of reports.
func (f *finisher[T]) signal() {
	if f.freed != nil {
		f.freed()
	}
}

// unstored records the outcomes the finisher gave up on, for the error of
// Run or Work.
type unstored struct {
	names []string // "task 7 completed", one per outcome given up
	err   error    // the last store error among them
}

// add records that the outcome kind of task id was given up on because
// of err.
func (u *unstored) add(id int64, kind EventKind, err error) {
	u.names = append(u.names, fmt.Sprintf("task %d %s", id, kind))
	if err != nil {
		u.err = err
	}
}

// error returns nil if no outcome was given up on, and otherwise an
// error that names them (the first maxNamed) and wraps the last store
// error.
func (u *unstored) error() error {
	if len(u.names) == 0 {
		return nil
	}
	named := u.names
	more := ""
	if len(named) > maxNamed {
		more = fmt.Sprintf(" and %d more", len(named)-maxNamed)
		named = named[:maxNamed]
	}
	return fmt.Errorf("worker: %d task outcomes not stored (see EventNotStored): %s%s; their leases run out and the tasks will run again: %w",
		len(u.names), strings.Join(named, ", "), more, u.err)
}
