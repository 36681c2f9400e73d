package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/driver"
)

// errNotRun is the result of a task claimed while the worker was already
// stopping; it is released without running.
var errNotRun = errors.New("worker: stopped before the task started")

// errGoexit is the result of a handler that called runtime.Goexit.
var errGoexit = errors.New("worker: handler called runtime.Goexit")

// handle runs one attempt's handler through the middleware, on a handler
// goroutine, and puts its result in the ledger's inbox for the finisher,
// waking the claim loop if it waits for the slot. When the handler
// returns, its slot goes to the next attempt waiting in the queue (see
// Config.Prefetch), which handle returns for the same goroutine to run,
// or else is freed.
func (e *engine[T]) handle(ctx context.Context, a *attempt[T]) (next *attempt[T]) {
	if e.cfg.HandlerTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, e.cfg.HandlerTimeout, ErrHandlerTimeout)
		defer cancel()
	}
	e.decode(a)
	start := time.Now()
	err := errGoexit
	defer func() {
		dur := time.Since(start)
		a.cancel(nil)
		var wakeClaim bool
		keep := e.linger.Load()
		next, wakeClaim = e.runs.next(a, result[T]{a: a, err: err, dur: dur}, keep)
		if wakeClaim {
			e.signalFreed()
		}
		if next == nil && keep {
			// Nothing waits, but the claim loop, woken by a handler
			// that freed room, may be about to fill the queue: it runs
			// first, and this goroutine takes the next attempt instead
			// of ending and another starting for it. The slot is held
			// meanwhile.
			if !errors.Is(err, errGoexit) {
				runtime.Gosched()
			}
			next, wakeClaim = e.runs.resume()
			if wakeClaim {
				e.signalFreed()
			}
		}
		if next == nil {
			e.giveBack(1)
		} else if errors.Is(err, errGoexit) {
			// This goroutine is ending: the next attempt gets its own.
			e.handlers.Add(1)
			go e.run(next)
			next = nil
		}
	}()
	err = e.safeError(e.call(ctx, a), a)
	return next
}

// safeError returns err, or a *PanicError in its place if reading it
// panics: its Error method, or the errors.Is and errors.As of the
// outcome policy through its Unwrap methods. The usual cause is a nil
// pointer of an error type returned as a non-nil error, whose Error
// method reads a field. The finisher stores the error's text and reports
// the error to OnEvent, on goroutines of the worker that must not panic
// on the handler's behalf.
func (e *engine[T]) safeError(err error, a *attempt[T]) (safe error) {
	if err == nil {
		return nil
	}
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		stack := debug.Stack()
		e.log.Error("gosk: the handler's error panicked when read", slog.Int64("task_id", a.info.ID), slog.Int("attempt", a.info.Attempt),
			slog.String("type", fmt.Sprintf("%T", err)), slog.Any("panic", v), slog.String("stack", string(stack)))
		safe = &PanicError{Value: fmt.Sprintf("the handler returned an error of type %T that panicked when read: %v", err, v), Stack: stack}
	}()
	_ = err.Error()
	_ = errors.Is(err, gosk.ErrCancelTask)
	_, _ = errors.AsType[*gosk.SnoozeError](err)
	return err
}

// decode turns a's claimed record into its task, on the handler's
// goroutine, and lets the record go.
func (e *engine[T]) decode(a *attempt[T]) {
	a.task, a.decodeErr = e.w.q.Decode(*a.rec)
	a.task.Fence = a.lease.Token
	a.dropRecord()
}

// call runs the middleware chain around the handler, turning panics into
// errors.
func (e *engine[T]) call(ctx context.Context, a *attempt[T]) (err error) {
	defer e.recoverInto(&err, a)
	if a.decodeErr != nil {
		return a.decodeErr
	}
	if len(e.cfg.Middleware) == 0 {
		// The deferred recoverInto above catches the handler's panic, as
		// next's own would; no closure to allocate for every task.
		return e.w.h(ctx, a.task)
	}
	next := func(ctx context.Context) (err error) {
		defer e.recoverInto(&err, a)
		return e.w.h(ctx, a.task)
	}
	for i := len(e.cfg.Middleware) - 1; i >= 0; i-- {
		m, inner := e.cfg.Middleware[i], next
		next = func(ctx context.Context) error { return m(ctx, a.info, inner) }
	}
	return next(ctx)
}

// recoverInto turns a panic of the handler or of a middleware into a
// *PanicError in *err, and logs its stack.
func (e *engine[T]) recoverInto(err *error, a *attempt[T]) {
	v := recover()
	if v == nil {
		return
	}
	stack := debug.Stack()
	e.log.Error("gosk: handler panicked", slog.Int64("task_id", a.info.ID), slog.Int("attempt", a.info.Attempt),
		slog.Any("panic", v), slog.String("stack", string(stack)))
	*err = &PanicError{Value: v, Stack: stack}
}

// decide is the outcome policy (see Handler results in the package doc):
// what to store for a handler's result. shutdown says that the shutdown
// cancelled the handler, or that it never ran; backoff is
// Config.Backoff.
func decide[T any](res result[T], shutdown bool, backoff func(attempt int) time.Duration) outcome[T] {
	var stored []byte
	if res.a.task != nil {
		stored = res.a.task.Result
	}
	if res.err == nil {
		res.err = CheckResult(stored)
	}
	o := outcome[T]{result: res, out: driver.Outcome{Lease: res.a.lease}}
	o.kind = policy(&o.out, res.a.info, res.err, shutdown, backoff)
	if o.out.Kind == driver.Complete {
		o.out.Result = stored
	}
	return o
}

// CheckResult returns the error a worker records as the handler's for a
// run that returned nil with a Task.Result longer than gosk.MaxResultLen:
// an error wrapping gosk.ErrInvalid, which the run's outcome then follows
// like any handler error (retried, or failed on the last attempt; never
// completed without its result). Task.SetResult refuses such a result, so
// only a handler that sets Task.Result itself gets here. For a result
// within the limit it returns nil. Like Decide, it is the seam for test
// helpers such as package gosktest.
func CheckResult(result []byte) error {
	if len(result) > gosk.MaxResultLen {
		return fmt.Errorf("%w: the handler left a Task.Result of %d bytes, longer than gosk.MaxResultLen (%d); Task.SetResult refuses it", gosk.ErrInvalid, len(result), gosk.MaxResultLen)
	}
	return nil
}

// Decide applies the worker's outcome policy (see Handler results in the
// package doc) to one handler run, without a worker: it returns the
// Event a worker reports once it has stored the outcome of a handler that
// returned err on the run info describes, Config.Backoff being backoff
// (nil for DefaultBackoff). Its Kind is EventCompleted, EventCancelled,
// EventSnoozed, EventRetried or EventFailed (never EventReleased: that
// is the shutdown's outcome), its Delay is set for EventSnoozed and
// EventRetried, and its Duration is zero.
// It is the seam for test helpers such as package gosktest, so that they
// judge a handler's result by the rules a worker uses.
func Decide(info TaskInfo, err error, backoff func(attempt int) time.Duration) Event {
	if backoff == nil {
		backoff = DefaultBackoff
	}
	var out driver.Outcome
	kind := policy(&out, info, err, false, backoff)
	return Event{Kind: kind, Task: info, Err: err, Delay: out.Delay}
}

// policy fills out's kind, delay, message and attempt rule for a
// handler's result err on the run info describes, and returns the event
// kind to report; decide and Decide share it.
func policy(out *driver.Outcome, info TaskInfo, err error, shutdown bool, backoff func(attempt int) time.Duration) EventKind {
	if err == nil {
		out.Kind = driver.Complete
		return EventCompleted
	}
	if errors.Is(err, gosk.ErrCancelTask) {
		out.Kind, out.Message = driver.Cancel, driver.CleanMessage(err.Error())
		return EventCancelled
	}
	// errors.AsType, not errors.As with a pointer to a variable, which
	// would put that variable on the heap for every result, nil included.
	if snooze, ok := errors.AsType[*gosk.SnoozeError](err); ok && snooze != nil {
		// A SnoozeError made without Snooze may hold a negative delay,
		// which Snooze counts as zero, and the store would refuse.
		out.Kind, out.Delay, out.KeepAttempt = driver.Release, max(snooze.Delay, 0), true
		return EventSnoozed
	}
	switch {
	case shutdown:
		out.Kind, out.KeepAttempt = driver.Release, true
		return EventReleased
	case info.Attempt >= info.MaxAttempts:
		out.Kind, out.Message = driver.Fail, driver.CleanMessage(err.Error())
		return EventFailed
	default:
		out.Kind, out.Message = driver.Release, driver.CleanMessage(err.Error())
		out.Delay = max(backoff(info.Attempt), 0)
		return EventRetried
	}
}
