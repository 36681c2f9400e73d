package gosktest

import (
	"context"
	"runtime/debug"
	"testing"
	"time"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/worker"
)

// DefaultQueue is the queue name of the task Run hands the handler when
// RunOptions.Queue is empty.
const DefaultQueue = "gosktest"

// RunOptions describes the task Run hands the handler and the worker
// settings it runs it with. The zero value and nil mean a first attempt
// of task 1 in DefaultQueue, with the worker's defaults.
type RunOptions struct {
	// ID is the task's ID. Default 1.
	ID int64
	// Queue is the task's queue name. Default DefaultQueue.
	Queue string
	// Attempt is the run's attempt number, 1 for the first. Default 1.
	Attempt int
	// MaxAttempts is how many attempts the task may use up; a run whose
	// Attempt reaches it fails its task instead of retrying it. Default
	// gosk.DefaultMaxAttempts.
	MaxAttempts int
	// Priority is the task's priority. Default 0.
	Priority int
	// Codec encodes the payload and decodes it again before the handler
	// gets it, as a store round trip does, so that a payload that does
	// not survive its codec shows in the test. Default gosk.JSONCodec.
	Codec gosk.Codec
	// Config is the worker's configuration. Run uses its Backoff,
	// Middleware and HandlerTimeout, and ignores the rest. Default: the
	// worker's defaults.
	Config *worker.Config
}

// Run calls h on a task holding payload, as a worker would, and returns
// the event that a worker would report once it had stored the outcome:
// its Kind says whether the task is completed, cancelled, snoozed,
// retried or failed (see worker.Decide), its Err is what the handler
// returned (a *worker.PanicError if it panicked), its Delay is the
// snooze or back-off, its Duration how long the handler ran, and, for a
// completed run, its Result the result the handler set with
// Task.SetResult (encoded with RunOptions.Codec; decode it with the
// codec, or read it through a Task as a caller of Get would), as a worker
// would store it. A Task.Result longer than gosk.MaxResultLen makes the
// run an error, as it does in a worker (see worker.CheckResult).
//
// The handler runs on the calling goroutine under the test's context, so
// a require or t.FailNow inside it ends the test as usual. A payload that
// does not encode fails the test; one that encodes but does not decode
// is what a worker meets with a task it cannot read: the handler is not
// called and the decode error is retried.
func Run[T any](t testing.TB, h worker.Handler[T], payload T, opts *RunOptions) worker.Event {
	t.Helper()
	var o RunOptions
	if opts != nil {
		o = *opts
	}
	var cfg worker.Config
	if o.Config != nil {
		cfg = *o.Config
	}
	if h == nil {
		t.Fatalf("gosktest: Run: the handler is nil")
	}
	if o.ID == 0 {
		o.ID = 1
	}
	if o.Queue == "" {
		o.Queue = DefaultQueue
	}
	if o.Attempt == 0 {
		o.Attempt = 1
	}
	if o.MaxAttempts == 0 {
		o.MaxAttempts = gosk.DefaultMaxAttempts
	}
	if o.Attempt < 1 || o.Attempt > o.MaxAttempts {
		t.Fatalf("gosktest: Run: RunOptions.Attempt %d is not in [1, MaxAttempts %d]", o.Attempt, o.MaxAttempts)
	}
	if o.Codec == nil {
		o.Codec = gosk.JSONCodec{}
	}
	data, err := o.Codec.Marshal(payload)
	if err != nil {
		t.Fatalf("gosktest: Run: the payload does not encode with %T, so it could not be created: %v", o.Codec, err)
	}
	now := time.Now()
	// The task as a worker gets it from the store: decoded with the
	// codec, which SetResult then encodes the result with.
	task, err := gosk.DecodeTask[T](driver.TaskRecord{
		ID:          o.ID,
		Queue:       o.Queue,
		Payload:     data,
		State:       gosk.StateRunning,
		Attempt:     o.Attempt,
		MaxAttempts: o.MaxAttempts,
		Priority:    o.Priority,
		CreatedAt:   now,
		RunAt:       now,
	}, o.Codec)
	info := worker.TaskInfo{ID: o.ID, Queue: o.Queue, Attempt: o.Attempt, MaxAttempts: o.MaxAttempts, Priority: o.Priority}

	ctx := t.Context()
	if cfg.HandlerTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, cfg.HandlerTimeout, worker.ErrHandlerTimeout)
		defer cancel()
	}
	start := time.Now()
	if err == nil {
		err = call(ctx, h, task, info, cfg.Middleware)
	}
	if err == nil {
		err = worker.CheckResult(task.Result)
	}
	ev := worker.Decide(info, err, cfg.Backoff)
	ev.Duration = time.Since(start)
	if ev.Kind == worker.EventCompleted {
		ev.Result = task.Result
	}
	return ev
}

// call runs h through the middleware, the first outermost, turning
// panics into a *worker.PanicError as a worker does.
func call[T any](ctx context.Context, h worker.Handler[T], task *gosk.Task[T], info worker.TaskInfo, mw []worker.Middleware) (err error) {
	defer recoverInto(&err)
	next := func(ctx context.Context) (err error) {
		defer recoverInto(&err)
		return h(ctx, task)
	}
	for i := len(mw) - 1; i >= 0; i-- {
		m, inner := mw[i], next
		next = func(ctx context.Context) error { return m(ctx, info, inner) }
	}
	return next(ctx)
}

// recoverInto turns a panic into a *worker.PanicError in *err.
func recoverInto(err *error) {
	if v := recover(); v != nil {
		*err = &worker.PanicError{Value: v, Stack: debug.Stack()}
	}
}
