package worker

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/driver"
)

// Handler runs one task. Its result decides the task's fate: nil completes
// it, gosk.ErrCancelTask cancels it, the error of gosk.Snooze runs it again
// later, and any other error (or a panic) retries it after a back-off, or
// fails it on its last attempt. ctx is cancelled, with a cause, when the
// worker loses the task's lease, its shutdown timeout runs out or StopNow
// is called; a handler should then return promptly.
type Handler[T any] func(ctx context.Context, t *gosk.Task[T]) error

// Middleware wraps a handler call, for tracing, metrics or context
// values. It must call next once, with ctx or a context derived from it,
// and should return next's error unless it means to change the outcome.
// Unlike Handler it is not generic, so one Middleware serves workers of
// every payload type.
type Middleware func(ctx context.Context, info TaskInfo, next func(ctx context.Context) error) error

// TaskInfo describes a task run to middleware and event hooks.
type TaskInfo struct {
	// ID is the task's ID.
	ID int64
	// Queue is the task's queue.
	Queue string
	// Attempt is this run's attempt number, 1 for the first.
	Attempt int
	// MaxAttempts is how many attempts the task may use up.
	MaxAttempts int
	// Priority is the task's priority.
	Priority int
}

// EventKind says how a task run ended.
type EventKind int

// The kinds of Event.
const (
	// EventCompleted: the handler returned nil and the task is completed.
	EventCompleted EventKind = iota + 1
	// EventCancelled: the handler returned gosk.ErrCancelTask and the task
	// is cancelled.
	EventCancelled
	// EventFailed: the handler failed its last attempt and the task is
	// failed.
	EventFailed
	// EventRetried: the handler failed and the task waits for a retry.
	EventRetried
	// EventSnoozed: the handler snoozed and the task waits, its attempt
	// given back.
	EventSnoozed
	// EventReleased: the worker shut down before the handler finished; the
	// task is pending again, its attempt given back.
	EventReleased
	// EventLeaseLost: the worker lost the task's lease (it ran out, or the
	// task was cancelled from outside); the outcome was not stored.
	EventLeaseLost
	// EventNotStored: the worker gave up storing the outcome: the store
	// failed until shutdown, or refused this outcome (Event.Err wraps the
	// refusal). The lease will run out and the task will be claimed again.
	EventNotStored
)

// String returns the kind's name.
func (k EventKind) String() string {
	switch k {
	case EventCompleted:
		return "completed"
	case EventCancelled:
		return "cancelled"
	case EventFailed:
		return "failed"
	case EventRetried:
		return "retried"
	case EventSnoozed:
		return "snoozed"
	case EventReleased:
		return "released"
	case EventLeaseLost:
		return "lease lost"
	case EventNotStored:
		return "not stored"
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Event tells Config.OnEvent how a task run ended.
type Event struct {
	// Kind says how it ended.
	Kind EventKind
	// Task is the task that ran.
	Task TaskInfo
	// Err is the handler's error (nil when it returned nil), or for
	// EventLeaseLost and EventNotStored the reason.
	Err error
	// Duration is how long the handler ran.
	Duration time.Duration
	// Delay is, for EventRetried and EventSnoozed, how long the task
	// waits before it can run again.
	Delay time.Duration
	// Result is, for EventCompleted, the result stored with the task (set
	// by Task.SetResult); nil if the run stored none, and for every other
	// kind.
	Result []byte
}

// PanicError is the error a worker records for a handler that panicked.
// The stack is logged; the stored error text holds the value only.
type PanicError struct {
	// Value is what the handler panicked with.
	Value any
	// Stack is the panicking goroutine's stack.
	Stack []byte
}

// Error describes the panic.
func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// Worker runs a Handler over the tasks of one Queue. Create one with New.
type Worker[T any] struct {
	q        *gosk.Queue[T]
	h        Handler[T]
	cfg      Config
	notifier driver.Notifier
	admin    driver.Admin

	life   lifecycle // the Run or Work in progress (see stop.go)
	logSet bool      // Config.Logger was set, so a Group keeps it
}

// New returns a worker that runs h over q's tasks, configured by cfg (nil
// for defaults). It refuses a nil queue or handler and invalid settings,
// with an error wrapping gosk.ErrInvalid (gosk.ErrUnsupportedPriorityRule
// for a bad Config.Rule) that names the field and says why. New starts
// nothing; Run and Work do the work.
func New[T any](q *gosk.Queue[T], h Handler[T], cfg *Config) (*Worker[T], error) {
	if q == nil {
		return nil, fmt.Errorf("%w: worker: queue is nil", gosk.ErrInvalid)
	}
	if h == nil {
		return nil, fmt.Errorf("%w: worker: handler is nil", gosk.ErrInvalid)
	}
	var c Config
	if cfg != nil {
		c = *cfg
	}
	c, err := c.fill()
	if err != nil {
		return nil, err
	}
	w := &Worker[T]{q: q, h: h, cfg: c, logSet: cfg != nil && cfg.Logger != nil}
	w.notifier, _ = q.Driver().(driver.Notifier)
	w.admin, _ = q.Driver().(driver.Admin)
	return w, nil
}

// Config returns the worker's settings with every default filled in.
func (w *Worker[T]) Config() Config { return w.cfg }

// ErrShutdown is the cause (see context.Cause) of a handler's context
// cancelled because the worker's shutdown timeout ran out, or because
// StopNow was called. A handler that then returns an error has its task
// released without using up an attempt.
var ErrShutdown = errors.New("worker: shutting down")

// ErrHandlerTimeout is the cause (see context.Cause) of a handler's
// context cancelled because the run took longer than
// Config.HandlerTimeout. What the handler then returns decides the
// outcome as usual; an error is retried.
var ErrHandlerTimeout = errors.New("worker: handler timed out")

// errBusy is returned by Run and Work on a worker that is already working.
var errBusy = errors.New("worker: already running: Run and Work may not overlap on one Worker")

// Run claims and handles tasks until ctx is done or Stop or StopNow is
// called, then shuts down (see Shutdown in the package doc) and returns
// nil. It returns early with an error when the driver is closed or
// refuses the claim's settings, after the same shutdown. Run and Work may
// not be called again while one of them is running; once it has
// returned, the worker may Run again.
func (w *Worker[T]) Run(ctx context.Context) error { return w.run(ctx, nil) }

// run is Run, in the Group of l if l is not nil: then the Group's StopNow
// also cancels the worker's handlers at once.
func (w *Worker[T]) run(ctx context.Context, l *link) error {
	c, ctx, err := w.life.begin(ctx, errBusy)
	if err != nil {
		return err
	}
	defer w.life.end(c)
	if l != nil {
		quit := make(chan struct{})
		var hardWatch sync.WaitGroup
		hardWatch.Go(func() {
			select {
			case <-l.hard:
				c.cancelHandlers()
			case <-quit:
			}
		})
		defer hardWatch.Wait()
		defer close(quit)
	}
	e := newEngine(w, c.hard, l)
	var purge func(context.Context, context.CancelFunc)
	if w.admin != nil && w.cfg.Retention != NoRetention {
		purge = func(ctx context.Context, _ context.CancelFunc) { e.purge(ctx) }
	}
	return e.serve(ctx, e.claimUntilDone, purge)
}

// Work claims the tasks available now, up to Config.Concurrency, in one
// call, handles them and stores their outcomes, and returns nil; if none
// was available it returns [ErrNoTask]. It is the one-shot form of Run
// for programs driven by a scheduler of their own. If ctx is done before
// the tasks are handled, Work shuts down as Run does and returns ctx's
// error; if Stop or StopNow ends it so, it returns ErrStopped. If the
// store stops answering, Work gives up storing once it has answered
// nothing for Config.Lease, and returns an error naming the outcomes not
// stored (see Shutdown in the package doc), so that a dead
// store never holds Work for ever.
func (w *Worker[T]) Work(ctx context.Context) error {
	c, ctx, err := w.life.begin(ctx, errBusy)
	if err != nil {
		return err
	}
	defer w.life.end(c)
	e := newEngine(w, c.hard, nil)
	err = e.serve(ctx, e.claimOnce, e.watchStore)
	if errors.Is(err, context.Canceled) && errors.Is(context.Cause(ctx), ErrStopped) {
		err = ErrStopped
	}
	return err
}
