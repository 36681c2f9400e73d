package worker

import (
	"context"
	"errors"
	"log/slog"
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

// handle is the goroutine of one attempt's handler: it runs the handler
// through the middleware, frees the attempt's slot when it returns, and
// passes its result to the finisher.
func (e *engine[T]) handle(ctx context.Context, a *attempt[T]) {
	defer e.handlers.Done()
	if e.cfg.HandlerTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, e.cfg.HandlerTimeout, ErrHandlerTimeout)
		defer cancel()
	}
	start := time.Now()
	err := errGoexit
	defer func() {
		dur := time.Since(start)
		a.cancel(nil)
		e.runs.returned(a)
		e.signalFreed()
		e.results <- result[T]{a: a, err: err, dur: dur}
	}()
	err = e.call(ctx, a)
}

// call runs the middleware chain around the handler, turning panics into
// errors.
func (e *engine[T]) call(ctx context.Context, a *attempt[T]) (err error) {
	defer e.recoverInto(&err, a)
	if a.decodeErr != nil {
		return a.decodeErr
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
	info := res.a.info
	o := outcome[T]{result: res, out: driver.Outcome{Lease: res.a.lease}}
	var snooze *gosk.SnoozeError
	err := res.err
	switch {
	case err == nil:
		o.out.Kind, o.kind = driver.Complete, EventCompleted
	case errors.Is(err, gosk.ErrCancelTask):
		o.out.Kind, o.kind, o.out.Message = driver.Cancel, EventCancelled, driver.CleanMessage(err.Error())
	case errors.As(err, &snooze):
		o.out.Kind, o.kind, o.out.Delay, o.out.KeepAttempt = driver.Release, EventSnoozed, snooze.Delay, true
	case shutdown:
		o.out.Kind, o.kind, o.out.KeepAttempt = driver.Release, EventReleased, true
	case info.Attempt >= info.MaxAttempts:
		o.out.Kind, o.kind, o.out.Message = driver.Fail, EventFailed, driver.CleanMessage(err.Error())
	default:
		o.out.Kind, o.kind, o.out.Message = driver.Release, EventRetried, driver.CleanMessage(err.Error())
		o.out.Delay = max(backoff(info.Attempt), 0)
	}
	return o
}
