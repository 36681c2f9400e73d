package worker

import (
	"context"
	"errors"
	"sync"
)

// ErrStopped is what Work returns when Stop or StopNow ended it before
// the tasks it claimed were handled (their outcomes are stored or, if
// the stop cancelled their handlers, the tasks released), and the cause
// (see context.Cause) of the context that Run and Work claim under once
// either is called.
var ErrStopped = errors.New("worker: stopped")

// control is how Stop and StopNow reach the Run or Work in progress.
type control struct {
	// stop cancels the context that Run or Work claims under, with the
	// cause ErrStopped: it claims no more and begins its shutdown.
	stop context.CancelCauseFunc
	// hard is closed by StopNow (or by Stop whose context ended): the
	// shutdown cancels the running handlers at once, without waiting for
	// Config.ShutdownTimeout.
	hard     chan struct{}
	hardOnce sync.Once
	// done is closed once Run or Work has returned.
	done chan struct{}
}

// cancelHandlers closes hard, once.
func (c *control) cancelHandlers() { c.hardOnce.Do(func() { close(c.hard) }) }

// stopped is the channel Stopped returns when no Run or Work is in
// progress: closed.
var stopped = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

// lifecycle records the Run (or Work) in progress of a Worker or a
// Group, so that Stop, StopNow and Stopped reach it. Its methods are
// safe for concurrent use.
type lifecycle struct {
	mu  sync.Mutex
	cur *control // the Run or Work in progress, or nil
}

// begin records that a Run or Work starts, unless one is in progress
// (busy), and returns its control and the context it claims under,
// which Stop cancels.
func (l *lifecycle) begin(ctx context.Context, busy error) (*control, context.Context, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cur != nil {
		return nil, nil, busy
	}
	ctx, cancel := context.WithCancelCause(ctx)
	c := &control{stop: cancel, hard: make(chan struct{}), done: make(chan struct{})}
	l.cur = c
	return c, ctx, nil
}

// end records that the Run or Work of c has returned, then closes
// c.done, so that a Run started by whoever waits on it is not refused
// as overlapping.
func (l *lifecycle) end(c *control) {
	c.stop(nil)
	l.mu.Lock()
	l.cur = nil
	l.mu.Unlock()
	close(c.done)
}

// current returns the control of the Run or Work in progress, or nil.
func (l *lifecycle) current() *control {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.cur
}

// stopSoft is Stop of a Worker or a Group.
func (l *lifecycle) stopSoft(ctx context.Context) error {
	c := l.current()
	if c == nil {
		return nil
	}
	c.stop(ErrStopped)
	return wait(ctx, c)
}

// stopHard is StopNow of a Worker or a Group.
func (l *lifecycle) stopHard(ctx context.Context) error {
	c := l.current()
	if c == nil {
		return nil
	}
	c.stop(ErrStopped)
	c.cancelHandlers()
	return wait(ctx, c)
}

// stopped is Stopped of a Worker or a Group.
func (l *lifecycle) stopped() <-chan struct{} {
	if c := l.current(); c != nil {
		return c.done
	}
	return stopped
}

// Stop stops the Run or Work in progress gracefully, as if its context
// were done: it claims no more tasks, lets running handlers go on for up
// to Config.ShutdownTimeout (then cancels them with the cause
// ErrShutdown), stores every outcome and returns. Stop waits for that and
// returns nil; Run's own error, if any, is Run's to return. If ctx is
// done first, Stop makes the shutdown hard, as StopNow does, and returns
// ctx's error at once without waiting further (Stopped tells when Run
// has returned).
//
// Stop acts only on the Run or Work in progress when it is called: with
// none, it does nothing and returns nil, and a later Run runs as usual
// (until its own context is done or Stop is called again). A Run started
// in another goroutine may not have begun yet; stop it through its
// context in that case, or call Stop once it is seen working.
//
// Stop may be called from any goroutine, more than once and at the same
// time as StopNow or the end of Run's context: there is one shutdown,
// and every call returns when it is over. It must not be called from a
// handler with a context that does not end, as it would wait for that
// handler to return.
func (w *Worker[T]) Stop(ctx context.Context) error { return w.life.stopSoft(ctx) }

// StopNow stops the Run or Work in progress at once: it claims no more
// tasks and cancels the contexts of running handlers with the cause
// ErrShutdown, without waiting for Config.ShutdownTimeout. As in the
// graceful shutdown, a handler that then returns nil completes its task,
// and one that returns an error has its task released without using up
// an attempt. StopNow waits for Run or Work to return (handlers that
// ignore their context hold it up) and returns nil, or ctx's error if
// ctx is done first. With no Run or Work in progress it does nothing and
// returns nil; like Stop it may be called from any goroutine, more than
// once, and after Stop to cut its grace period short.
func (w *Worker[T]) StopNow(ctx context.Context) error { return w.life.stopHard(ctx) }

// wait waits for the Run or Work of c to return, or for ctx: then it
// makes the shutdown hard and returns ctx's error.
func wait(ctx context.Context, c *control) error {
	select {
	case <-c.done:
		return nil
	case <-ctx.Done():
		select {
		case <-c.done:
			return nil
		default:
		}
		c.cancelHandlers()
		return ctx.Err()
	}
}

// Stopped returns a channel that is closed once the Run or Work in
// progress has returned. With none in progress it returns a closed
// channel: the worker is stopped. A Run started later has a channel of
// its own.
func (w *Worker[T]) Stopped() <-chan struct{} { return w.life.stopped() }
