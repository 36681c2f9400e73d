package worker

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gosk/gosk/driver"
)

// engine is one Run or Work of a worker. Its goroutines are the caller's
// (the claiming, then the shutdown: this file and claim.go), one per
// running handler (handle.go), the finisher (finisher.go), the pinger
// (ping.go), and one that Run or Work adds: Run's purge (retention.go), when the driver has
// driver.Admin, or Work's watch on the store (health.go). Every one of
// them has returned when serve returns.
type engine[T any] struct {
	w   *Worker[T]
	cfg Config
	log *slog.Logger
	drv driver.Driver

	hard <-chan struct{} // closed by StopNow: the shutdown cancels handlers at once
	link *link           // the Group that runs the worker, or nil

	runs   *ledger[T]  // the attempts held, and their state; its inbox takes the handlers' results to the finisher
	dues   *dueTracker // when the tasks this worker released become available
	health *health     // the store calls that succeeded
	fin    *finisher[T]

	freed    chan struct{}  // signalled when a slot may have come free
	handlers sync.WaitGroup // the running handlers
	// linger says that a handler that finds the queue empty keeps its
	// slot and looks once more, after letting the claim loop run: with
	// Config.Prefetch, from a store that answers claims fast, the queue
	// is refilled while handlers run, and the handler goroutine goes on
	// rather than ending for another to start. Set by the claim loop
	// after each claim; a Group's shared budget claims nothing ahead.
	linger atomic.Bool
}

// newEngine returns an engine for one Run or Work of w, its finisher
// wired to its ledger, due tracker and store health; hard is closed when
// its shutdown is to cancel handlers at once (see StopNow). l is the
// Group that runs the worker, or nil: its logger replaces a default one,
// and its event hook hears the worker's events after Config.OnEvent.
func newEngine[T any](w *Worker[T], hard <-chan struct{}, l *link) *engine[T] {
	cfg := w.cfg
	if l != nil {
		if l.log != nil && !w.logSet {
			cfg.Logger = l.log
		}
		if own, group := cfg.OnEvent, l.onEvent; group != nil && own != nil {
			cfg.OnEvent = func(ev Event) { own(ev); group(ev) }
		} else if group != nil {
			cfg.OnEvent = group
		}
	}
	e := &engine[T]{
		w:      w,
		hard:   hard,
		link:   l,
		cfg:    cfg,
		log:    cfg.Logger.With(slog.String("queue", w.q.Name())),
		drv:    w.q.Driver(),
		runs:   newLedger[T](),
		dues:   newDueTracker(),
		health: newHealth(),
		freed:  make(chan struct{}, 1),
	}
	e.fin = &finisher[T]{
		drv:    e.drv,
		cfg:    e.cfg,
		log:    e.log,
		runs:   e.runs,
		health: e.health,
		dues:   e.dues,
		report: e.settle,
		freed:  e.signalFreed,
	}
	return e
}

// serve is what Run and Work share. It starts the pinger, the finisher
// and side (if not nil), lets claim claim tasks until it returns, then
// shuts down (see shutdown) and stops its goroutines. It returns claim's
// error or, failing that, the error naming the outcomes not stored.
//
// claim gets the caller's ctx, and base, which carries ctx's values but
// not its cancellation: handlers and the store calls of a shutdown must
// outlive ctx. side gets a context that ends once every outcome is
// stored, and the function that makes the finisher give up retrying.
func (e *engine[T]) serve(ctx context.Context, claim func(ctx, base context.Context) error, side func(ctx context.Context, giveUp context.CancelFunc)) error {
	base := context.WithoutCancel(ctx)
	var bg sync.WaitGroup
	bgCtx, stopBG := context.WithCancel(base)
	defer stopBG()
	giveUpCtx, giveUp := context.WithCancel(base)
	defer giveUp()
	finished := make(chan struct{})

	bg.Go(func() { e.ping(bgCtx) })
	go func() {
		defer close(finished)
		e.fin.run(giveUpCtx)
	}()
	if side != nil {
		bg.Go(func() { side(bgCtx, giveUp) })
	}

	e.log.Debug("gosk: worker started", slog.Int("concurrency", e.cfg.Concurrency), slog.String("rule", e.cfg.Rule.String()))
	err := claim(ctx, base)
	e.shutdown(giveUp, finished)
	stopBG()
	bg.Wait()

	if err == nil {
		err = e.fin.unstored.error()
	}
	e.log.Debug("gosk: worker stopped", slog.Any("error", err))
	return err
}

// shutdown ends a Run or Work once it claims no more: it lets running
// handlers finish until Config.ShutdownTimeout, or until StopNow (hard),
// then cancels them; then
// it waits for the finisher to store every outcome, and makes it give up
// (giveUp) on a store that is still failing a Config.Lease later.
func (e *engine[T]) shutdown(giveUp context.CancelFunc, finished <-chan struct{}) {
	// The tasks claimed ahead that no handler took go back unrun.
	e.runs.drain()
	handlersDone := make(chan struct{})
	go func() {
		e.handlers.Wait()
		close(handlersDone)
	}()
	timeout := time.NewTimer(e.cfg.ShutdownTimeout)
	select {
	case <-handlersDone:
	case <-timeout.C:
		n := e.runs.stop()
		e.log.Warn("gosk: shutdown timeout; cancelling running handlers", slog.Int("handlers", n))
		<-handlersDone
	case <-e.hard:
		n := e.runs.stop()
		e.log.Info("gosk: stopped now; cancelling running handlers", slog.Int("handlers", n))
		<-handlersDone
	}
	timeout.Stop()
	e.runs.closeInbox()
	giveUpTimer := time.AfterFunc(e.cfg.Lease, giveUp)
	<-finished
	giveUpTimer.Stop()
}

// claimUntilDone is Run's claim loop. It claims tasks for the free slots
// (once all are free, or Config.ClaimWindow after the first came free)
// until ctx is done, or until the driver is closed or refuses the claim's
// settings (see fatal), which it returns; other claim errors are retried
// with back-off. After a short claim it waits for a slot to come free, a
// wake-up from the driver, the poll interval (or, in a Group whose driver
// reports due queues, the Group's wake-up), or a task it released coming
// due. In a Group with a shared budget it takes slots from the budget
// before each claim, waiting for them if need be.
func (e *engine[T]) claimUntilDone(ctx, base context.Context) error {
	var wake <-chan struct{}
	if e.w.notifier != nil {
		sub, err := e.w.notifier.Subscribe(ctx, e.w.q.Name())
		if err != nil {
			e.log.Warn("gosk: subscribe failed; polling only", slog.Any("error", err))
		} else {
			defer sub.Stop()
			wake = sub.Wake
		}
	}
	var groupWake <-chan struct{}
	var share *share
	if e.link != nil {
		groupWake, share = e.link.wake, e.link.share
	}
	prefetch := e.cfg.Prefetch
	if share != nil {
		prefetch = 0 // the budget counts handlers, not tasks held ahead
	}
	most := e.cfg.Concurrency + prefetch
	// fast says that the store answered the last claim within an eighth
	// of the claim window (see quick): a claim then costs less than the
	// handlers would wait for the window.
	fast := false
	poll := time.NewTimer(jitter(e.cfg.PollInterval))
	defer poll.Stop()
	resetPoll := func() {
		if groupWake == nil {
			poll.Reset(jitter(e.cfg.PollInterval))
		}
	}
	if groupWake != nil {
		poll.Stop() // the Group polls for this worker
	}
	// due fires when a task this worker released becomes available, so
	// that a retry does not wait for the next poll.
	due := time.NewTimer(time.Hour)
	due.Stop()
	defer due.Stop()
	// window runs while the loop waits for more slots to come free before
	// a claim (see Config.ClaimWindow); gathered says that it ran out, so
	// that the next claim takes the slots free by then.
	window := time.NewTimer(time.Hour)
	window.Stop()
	defer window.Stop()
	var windowC <-chan time.Time // window.C while it runs
	gathered := false
	want := true // whether to claim as soon as a slot is free
	failures := 0
	for ctx.Err() == nil {
		// enough is the room worth a claim without waiting for the
		// window: all of it; or, claiming ahead from a store that
		// answers fast, a claim that fills every handler once, as large
		// as a full one without Prefetch, so that the tasks held ahead
		// keep the handlers busy while it goes out. From a slow store,
		// claims as large as they can be cost fewer round trips (and
		// commits) than the handlers' wait.
		enough := most
		if prefetch > 0 && fast {
			enough = e.cfg.Concurrency
		}
		free := e.runs.room(e.cfg.Concurrency, prefetch)
		if want && free > 0 && free < enough && !gathered && e.cfg.ClaimWindow > 0 {
			// Not enough slots are free: let the handlers about to
			// return, and the outcomes about to be stored, free theirs
			// too, so that one claim fills them all.
			if windowC == nil {
				window.Reset(e.cfg.ClaimWindow)
				windowC = window.C
			}
			free = 0
		}
		if want && free > 0 {
			if windowC != nil {
				window.Stop()
				windowC = nil
			}
			gathered = false
			if e.link != nil {
				e.link.idle.Store(false)
			}
			if share != nil {
				if free = share.acquire(ctx, free); free == 0 {
					return nil // ctx is done
				}
			}
			asked := time.Now()
			n, _, err := e.claim(ctx, base, free)
			fast = err == nil && e.quick(time.Since(asked))
			e.linger.Store(prefetch > 0 && fast)
			if err != nil {
				if fatal(err) {
					e.log.Error("gosk: claim failed; stopping", slog.Any("error", err))
					return err
				}
				failures++
				e.log.Warn("gosk: claim failed; will retry", slog.Any("error", err), slog.Int("failures", failures))
				if !sleep(ctx, storeBackoff(failures)) {
					return nil
				}
				continue
			}
			failures = 0
			want = n == free
			resetPoll()
			continue
		}
		if e.link != nil {
			e.link.idle.Store(!want)
		}
		// A returning handler wakes the loop only for the room it waits
		// for: a first free slot, or, while the window runs, enough; none
		// when it waits for tasks rather than slots.
		need := 0
		if want {
			need = 1
			if windowC != nil {
				need = enough
			}
		}
		if room := e.runs.awaitRoom(e.cfg.Concurrency, prefetch, need); need > 0 && room >= need {
			continue // it came while the loop decided to wait
		}
		select {
		case <-ctx.Done():
		case <-e.freed:
		case <-windowC:
			windowC, gathered = nil, true
		case <-wake:
			want = true
		case <-groupWake:
			want = true
		case <-poll.C:
			want = true
			resetPoll()
		case <-e.dues.sooner:
			if d, ok := e.dues.next(time.Now()); ok {
				due.Reset(d)
			}
		case <-due.C:
			want = true
			if d, ok := e.dues.pass(time.Now()); ok {
				due.Reset(d)
			}
		}
	}
	return nil
}

// claimOnce is Work's claim: one claim of up to Config.Concurrency tasks,
// then a wait until every attempt it started has ended (its outcome
// stored or given up, or its lease lost). It returns ErrNoTask if no
// task was available, the claim's error if it failed, and ctx's error if
// ctx ended before the attempts did (the shutdown then releases them).
func (e *engine[T]) claimOnce(ctx, base context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	n, stopping, err := e.claim(ctx, base, e.runs.free(e.cfg.Concurrency))
	if err != nil {
		if fatal(err) {
			e.log.Error("gosk: claim failed; stopping", slog.Any("error", err))
		}
		return err
	}
	if n == 0 {
		return ErrNoTask
	}
	if stopping {
		// Claimed as ctx ended: the tasks go back unrun.
		return ctx.Err()
	}
	for e.runs.held() > 0 {
		select {
		case <-ctx.Done():
			if e.runs.held() == 0 {
				// Every task was handled and stored before the shutdown
				// could touch one; ctx ended only after, or before this
				// loop noticed.
				return nil
			}
			return ctx.Err()
		case <-e.freed:
		}
	}
	return nil
}

// fatal reports whether a claim error ends Run: the driver is closed, or
// refuses the claim's settings, which no retry will change.
func fatal(err error) bool {
	return errors.Is(err, driver.ErrClosed) || errors.Is(err, driver.ErrInvalid) || errors.Is(err, driver.ErrUnsupportedPriorityRule)
}

// settle tells Config.OnEvent how an attempt ended. The finisher calls
// it once for every attempt, once the ledger has forgotten it, and
// signals the claim loop (signalFreed) once after each group of them.
func (e *engine[T]) settle(_ *attempt[T], ev Event) {
	if e.cfg.OnEvent != nil {
		e.cfg.OnEvent(ev)
	}
}

// giveBack returns n slots to the Group's shared budget, if any: those
// of a claim that came back short, and of each handler that returns.
func (e *engine[T]) giveBack(n int) {
	if e.link != nil && e.link.share != nil {
		e.link.share.release(n)
	}
}

// quick reports whether a claim answered in took was answered fast:
// within an eighth of Config.ClaimWindow, which is about a claim's round
// trip to a nearby SQL store; a store in the process answers in a small
// part of that. With NoClaimWindow no claim is.
func (e *engine[T]) quick(took time.Duration) bool {
	return took < e.cfg.ClaimWindow/8
}

// signalFreed tells the claim loop that a slot may have come free.
func (e *engine[T]) signalFreed() {
	select {
	case e.freed <- struct{}{}:
	default:
	}
}
