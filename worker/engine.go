package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
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

// retentionRounds bounds the purge calls of one retention round.
const retentionRounds = 10

// maxDues bounds the due times of its own releases a worker remembers;
// releases due later than all of them are found by polling.
const maxDues = 1024

// errNotRun is the result of a task claimed while the worker was already
// stopping; it is released without running.
var errNotRun = errors.New("worker: stopped before the task started")

// errGoexit is the result of a handler that called runtime.Goexit.
var errGoexit = errors.New("worker: handler called runtime.Goexit")

// run is one claimed task, held from its claim until its outcome is stored
// or its lease is known lost.
type run[T any] struct {
	lease     driver.Lease
	rec       driver.TaskRecord
	task      *gosk.Task[T]
	decodeErr error
	cancel    context.CancelCauseFunc
	info      TaskInfo

	// Guarded by engine.mu.
	returned bool // the handler has returned
	lost     bool // a ping found the lease lost
	shutdown bool // the shutdown timeout cancelled the handler
}

// result is a handler's return, on its way to the finisher.
type result[T any] struct {
	r   *run[T]
	err error
	dur time.Duration
}

// pending is an outcome waiting to be stored.
type pending[T any] struct {
	result[T]
	out  driver.Outcome
	kind EventKind
	// tried says that a Finish call with this outcome failed, so that it
	// may have been stored after all. Written by the finisher only.
	tried bool
}

// engine is one Run or Work of a worker. Its goroutines are: the caller's
// (the claim loop, then the shutdown), one per running handler, the
// finisher, the pinger and, for Run with a driver.Admin, the purger. Every
// one of them has returned when run returns.
type engine[T any] struct {
	w   *Worker[T]
	cfg Config
	log *slog.Logger
	drv driver.Driver

	mu   sync.Mutex
	held map[int64]*run[T] // the current run of each task
	// orphans are runs whose task this worker claimed again after their
	// lease ran out (pings failed for a whole lease): lost, but their
	// handlers still hold a slot until they return.
	orphans  map[*run[T]]struct{}
	handling int // handlers that have not returned
	// dues are the times at which tasks this worker released for a retry
	// become available again, earliest first, at most maxDues of them;
	// dueSet signals the claim loop that the earliest moved earlier.
	dues   []time.Time
	dueSet chan struct{}

	freed    chan struct{}
	results  chan result[T]
	handlers sync.WaitGroup
	// notStored are the outcomes given up on, and notStoredErr the last
	// store error among them; written by the finisher only.
	notStored    []string
	notStoredErr error
	// answered counts the store calls (claims, pings, finishes) that
	// succeeded: the finisher's evidence that the store is up. lastAnswer
	// is the time of the latest, in Unix nanoseconds.
	answered   atomic.Uint64
	lastAnswer atomic.Int64
}

// answer records a store call that succeeded.
func (e *engine[T]) answer() {
	e.answered.Add(1)
	e.lastAnswer.Store(time.Now().UnixNano())
}

// maxNamed bounds the outcomes that Work's error names one by one.
const maxNamed = 10

func newEngine[T any](w *Worker[T]) *engine[T] {
	return &engine[T]{
		w:       w,
		cfg:     w.cfg,
		log:     w.cfg.Logger.With(slog.String("queue", w.q.Name())),
		drv:     w.q.Driver(),
		held:    make(map[int64]*run[T]),
		orphans: make(map[*run[T]]struct{}),
		freed:   make(chan struct{}, 1),
		dueSet:  make(chan struct{}, 1),
		results: make(chan result[T], 2*w.cfg.Concurrency),
	}
}

// run claims until ctx is done (or, once, until the first claim's tasks
// are stored), then shuts down.
func (e *engine[T]) run(ctx context.Context, once bool) error {
	// base carries the values of Run's context but not its cancellation:
	// handlers and the store calls of a shutdown must outlive it.
	base := context.WithoutCancel(ctx)
	var bg sync.WaitGroup
	pingCtx, stopPing := context.WithCancel(base)
	defer stopPing()
	giveUpCtx, giveUp := context.WithCancel(base)
	defer giveUp()
	finished := make(chan struct{})

	bg.Go(func() { e.ping(pingCtx) })
	go func() {
		defer close(finished)
		e.finish(giveUpCtx)
	}()
	if once {
		e.lastAnswer.Store(time.Now().UnixNano())
		bg.Go(func() { e.watchStore(pingCtx, giveUp) })
	}
	if !once && e.w.admin != nil && e.cfg.Retention != NoRetention {
		bg.Go(func() { e.purge(pingCtx) })
	}
	var wake <-chan struct{}
	if !once && e.w.notifier != nil {
		sub, err := e.w.notifier.Subscribe(ctx, e.w.q.Name())
		if err != nil {
			e.log.Warn("gosk: subscribe failed; polling only", slog.Any("error", err))
		} else {
			defer sub.Stop()
			wake = sub.Wake
		}
	}

	e.log.Debug("gosk: worker started", slog.Int("concurrency", e.cfg.Concurrency), slog.String("rule", e.cfg.Rule.String()))
	err := e.claimLoop(ctx, base, once, wake)

	// Shutdown: no more claims. Let handlers finish until the timeout,
	// then cancel them; store every outcome; then stop pinging.
	handlersDone := make(chan struct{})
	go func() {
		e.handlers.Wait()
		close(handlersDone)
	}()
	timeout := time.NewTimer(e.cfg.ShutdownTimeout)
	select {
	case <-handlersDone:
	case <-timeout.C:
		e.cancelRunning()
		<-handlersDone
	}
	timeout.Stop()
	close(e.results)
	giveUpTimer := time.AfterFunc(e.cfg.Lease, giveUp)
	<-finished
	giveUpTimer.Stop()
	stopPing()
	bg.Wait()

	if err == nil && len(e.notStored) > 0 {
		err = e.notStoredError()
	}
	e.log.Debug("gosk: worker stopped", slog.Any("error", err))
	return err
}

// claimLoop claims tasks for free slots until ctx is done, a fatal error
// occurs or, once, the first claim's tasks are all stored.
func (e *engine[T]) claimLoop(ctx, base context.Context, once bool, wake <-chan struct{}) error {
	poll := time.NewTimer(jitter(e.cfg.PollInterval))
	defer poll.Stop()
	// due fires when a task this worker released for a retry becomes
	// available, so that a retry does not wait for the next poll.
	due := time.NewTimer(time.Hour)
	due.Stop()
	defer due.Stop()
	want := true // whether to claim as soon as a slot is free
	failures := 0
	claimed := false
	for ctx.Err() == nil {
		if once && claimed {
			if e.heldCount() == 0 {
				return nil
			}
		} else if free := e.free(); want && free > 0 {
			n, stopping, err := e.claim(ctx, base, free)
			if err != nil {
				if errors.Is(err, driver.ErrClosed) || errors.Is(err, driver.ErrInvalid) || errors.Is(err, driver.ErrUnsupportedPriorityRule) {
					e.log.Error("gosk: claim failed; stopping", slog.Any("error", err))
					return err
				}
				if once {
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
			if once {
				if n == 0 {
					return ErrNoTask
				}
				if stopping {
					// Claimed as ctx ended: the tasks go back unrun.
					return ctx.Err()
				}
				claimed = true
				continue
			}
			want = n == free
			poll.Reset(jitter(e.cfg.PollInterval))
			continue
		}
		select {
		case <-ctx.Done():
		case <-e.freed:
		case <-wake:
			want = true
		case <-poll.C:
			want = true
			poll.Reset(jitter(e.cfg.PollInterval))
		case <-e.dueSet:
			if d, ok := e.untilDue(); ok {
				due.Reset(d)
			}
		case <-due.C:
			want = true
			if d, ok := e.clearDue(); ok {
				due.Reset(d)
			}
		}
	}
	if once {
		if claimed && e.heldCount() == 0 {
			// Every task was handled and stored before the shutdown could
			// touch one; ctx ended only after, or before this loop noticed.
			return nil
		}
		return ctx.Err()
	}
	return nil
}

// claim claims up to limit tasks and starts a handler for each; tasks that
// arrive after ctx is done are released at once without running, and
// stopping says so.
func (e *engine[T]) claim(ctx, base context.Context, limit int) (n int, stopping bool, err error) {
	cctx, cancel := context.WithTimeout(base, e.cfg.Lease)
	tasks, err := e.drv.Claim(cctx, driver.ClaimParams{
		Queue: e.w.q.Name(),
		Limit: limit,
		Rule:  e.cfg.Rule,
		Lease: e.cfg.Lease,
	})
	cancel()
	if err != nil {
		return 0, false, err
	}
	e.answer()
	stopping = ctx.Err() != nil
	for _, ct := range tasks {
		e.start(base, ct, stopping)
	}
	return len(tasks), stopping, nil
}

// start holds a claimed task and runs its handler, or, if the worker is
// stopping, hands it straight to the finisher for release.
func (e *engine[T]) start(base context.Context, ct driver.ClaimedTask, stopping bool) {
	task, derr := e.w.q.Decode(ct.Task)
	hctx, cancel := context.WithCancelCause(base)
	r := &run[T]{
		lease:     ct.Lease,
		rec:       ct.Task,
		task:      task,
		decodeErr: derr,
		cancel:    cancel,
		info: TaskInfo{
			ID:          ct.Task.ID,
			Queue:       ct.Task.Queue,
			Attempt:     ct.Task.Attempt,
			MaxAttempts: ct.Task.MaxAttempts,
			Priority:    ct.Task.Priority,
		},
	}
	e.mu.Lock()
	if old := e.held[r.lease.TaskID]; old != nil {
		if !old.lost {
			old.lost = true
			old.cancel(fmt.Errorf("worker: task %d claimed again after its lease ran out: %w", r.lease.TaskID, driver.ErrLeaseLost))
		}
		e.orphans[old] = struct{}{}
		e.log.Warn("gosk: lease ran out and the task was claimed again; cancelling the old run", slog.Int64("task_id", r.lease.TaskID))
	}
	e.held[r.lease.TaskID] = r
	if stopping {
		r.returned = true
		r.shutdown = true
	} else {
		e.handling++
	}
	e.mu.Unlock()
	if stopping {
		cancel(ErrShutdown)
		e.results <- result[T]{r: r, err: errNotRun}
		return
	}
	e.handlers.Add(1)
	go e.handle(hctx, r)
}

// handle runs one handler and passes its result to the finisher.
func (e *engine[T]) handle(ctx context.Context, r *run[T]) {
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
		r.cancel(nil)
		e.mu.Lock()
		r.returned = true
		e.handling--
		e.mu.Unlock()
		e.signalFreed()
		e.results <- result[T]{r: r, err: err, dur: dur}
	}()
	err = e.call(ctx, r)
}

// call runs the middleware chain around the handler, turning panics into
// errors.
func (e *engine[T]) call(ctx context.Context, r *run[T]) (err error) {
	defer e.recoverInto(&err, r)
	if r.decodeErr != nil {
		return r.decodeErr
	}
	next := func(ctx context.Context) (err error) {
		defer e.recoverInto(&err, r)
		return e.w.h(ctx, r.task)
	}
	for i := len(e.cfg.Middleware) - 1; i >= 0; i-- {
		m, inner := e.cfg.Middleware[i], next
		next = func(ctx context.Context) error { return m(ctx, r.info, inner) }
	}
	return next(ctx)
}

func (e *engine[T]) recoverInto(err *error, r *run[T]) {
	v := recover()
	if v == nil {
		return
	}
	stack := debug.Stack()
	e.log.Error("gosk: handler panicked", slog.Int64("task_id", r.info.ID), slog.Int("attempt", r.info.Attempt),
		slog.Any("panic", v), slog.String("stack", string(stack)))
	*err = &PanicError{Value: v, Stack: stack}
}

// cancelRunning cancels the contexts of handlers that are still running,
// at the end of the shutdown timeout.
func (e *engine[T]) cancelRunning() {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	stop := func(r *run[T]) {
		if r.returned {
			return
		}
		if !r.lost {
			r.shutdown = true
		}
		r.cancel(ErrShutdown) // a lost run's context already has its cause
		n++
	}
	for _, r := range e.held {
		stop(r)
	}
	for r := range e.orphans {
		stop(r)
	}
	e.log.Warn("gosk: shutdown timeout; cancelling running handlers", slog.Int("handlers", n))
}

// finish gathers handler results into batches and stores them until the
// results channel is closed and drained.
func (e *engine[T]) finish(giveUp context.Context) {
	var batch []pending[T]
	var window *time.Timer
	open := true
	// Gathering more than Concurrency outcomes gains nothing: by then
	// the worker holds as many tasks as it may and claims no more.
	limit := min(e.cfg.FinishBatch, e.cfg.Concurrency)
	for open {
		res, ok := <-e.results
		if !ok {
			break
		}
		batch = e.add(batch, res)
		if window == nil {
			window = time.NewTimer(e.cfg.FinishWindow)
		} else {
			window.Reset(e.cfg.FinishWindow)
		}
	gather:
		for len(batch) < limit {
			select {
			case res, ok := <-e.results:
				if !ok {
					open = false
					break gather
				}
				batch = e.add(batch, res)
				continue
			default:
			}
			if e.handlingCount() == 0 {
				break
			}
			select {
			case res, ok := <-e.results:
				if !ok {
					open = false
					break gather
				}
				batch = e.add(batch, res)
			case <-window.C:
				break gather
			}
		}
		if len(batch) > 0 {
			e.store(giveUp, batch)
		}
		batch = batch[:0]
	}
	if window != nil {
		window.Stop()
	}
}

// add decides a result's outcome and appends it to batch, or drops a run
// whose lease was lost.
func (e *engine[T]) add(batch []pending[T], res result[T]) []pending[T] {
	r := res.r
	e.mu.Lock()
	lost, shutdown := r.lost, r.shutdown
	e.mu.Unlock()
	if lost {
		e.log.Warn("gosk: lease lost; outcome not stored", slog.Int64("task_id", r.info.ID), slog.Int("attempt", r.info.Attempt), slog.Any("handler_error", res.err))
		e.done(r, Event{Kind: EventLeaseLost, Task: r.info, Err: gosk.ErrLeaseLost, Duration: res.dur})
		return batch
	}
	p := pending[T]{result: res, out: driver.Outcome{Lease: r.lease}}
	var snooze *gosk.SnoozeError
	err := res.err
	switch {
	case err == nil:
		p.out.Kind, p.kind = driver.Complete, EventCompleted
	case errors.Is(err, gosk.ErrCancelTask):
		p.out.Kind, p.kind, p.out.Message = driver.Cancel, EventCancelled, driver.CleanMessage(err.Error())
	case errors.As(err, &snooze):
		p.out.Kind, p.kind, p.out.Delay, p.out.KeepAttempt = driver.Release, EventSnoozed, snooze.Delay, true
	case shutdown:
		p.out.Kind, p.kind, p.out.KeepAttempt = driver.Release, EventReleased, true
	case r.info.Attempt >= r.info.MaxAttempts:
		p.out.Kind, p.kind, p.out.Message = driver.Fail, EventFailed, driver.CleanMessage(err.Error())
	default:
		p.out.Kind, p.kind, p.out.Message = driver.Release, EventRetried, driver.CleanMessage(err.Error())
		p.out.Delay = max(e.cfg.Backoff(r.info.Attempt), 0)
	}
	return append(batch, p)
}

// store stores a batch of outcomes, in one Finish call if it can.
//
// A failure of the whole call is retried with back-off, as an outage of
// the store, until giveUp is done (the shutdown then gives the outcomes
// up). But one outcome that the store cannot take must not hold back the
// others, nor be retried for ever: a batch that the store refuses
// (driver.ErrInvalid), or that failed splitAfter times in a row, is stored
// one outcome at a time by storeAlone.
func (e *engine[T]) store(giveUp context.Context, batch []pending[T]) {
	// A run lost since its outcome was gathered is dropped, so that a
	// batch never names a task twice (its old and its new run).
	live := batch[:0]
	for _, p := range batch {
		e.mu.Lock()
		lost := p.r.lost
		e.mu.Unlock()
		if lost {
			e.done(p.r, Event{Kind: EventLeaseLost, Task: p.r.info, Err: driver.ErrLeaseLost, Duration: p.dur})
			continue
		}
		live = append(live, p)
	}
	batch = live
	if len(batch) == 1 {
		e.storeAlone(giveUp, batch)
		return
	}
	for failures := 1; len(batch) > 0; failures++ {
		errs, err := e.finishCall(giveUp, batch)
		if err == nil {
			e.stored(giveUp, batch, errs)
			return
		}
		switch {
		case errors.Is(err, driver.ErrClosed):
			e.giveUp(batch, err)
			return
		case errors.Is(err, driver.ErrInvalid), failures >= splitAfter:
			e.log.Warn("gosk: could not store a batch of outcomes; storing them one by one", slog.Any("error", err),
				slog.Int("tasks", len(batch)), slog.Int("failures", failures))
			e.storeAlone(giveUp, batch)
			return
		}
		if !sleep(giveUp, storeBackoff(failures)) {
			e.giveUp(batch, err)
			return
		}
		e.log.Warn("gosk: could not store outcomes; will retry", slog.Any("error", err), slog.Int("tasks", len(batch)), slog.Int("failures", failures))
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
func (e *engine[T]) storeAlone(giveUp context.Context, batch []pending[T]) {
	rest := make([]alone[T], len(batch))
	for i, p := range batch {
		rest[i] = alone[T]{p: p, mark: e.answered.Load()}
	}
	for round := 1; len(rest) > 0; round++ {
		var again []alone[T]
		var last error
		for i, a := range rest {
			errs, err := e.finishCall(giveUp, []pending[T]{a.p})
			if err == nil {
				e.stored(giveUp, []pending[T]{a.p}, errs)
				continue
			}
			a.p.tried = a.p.tried || !errors.Is(err, driver.ErrInvalid)
			if errors.Is(err, driver.ErrClosed) {
				rest[i] = a
				e.giveUp(outcomes(append(again, rest[i:]...)), err)
				return
			}
			a.failures++
			timeout := errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
			if !timeout {
				if e.answered.Load() == a.mark {
					// Nothing else answered since this outcome's last
					// failure: ask the store about this very task, whose
					// lease a ping then also extends.
					e.probe(giveUp, a.p.r.lease)
				}
				if e.answered.Load() != a.mark {
					// The store is up, yet this outcome failed.
					a.strikes++
				}
			}
			a.mark = e.answered.Load()
			if errors.Is(err, driver.ErrInvalid) || a.strikes >= refuseAfter {
				e.refuse(a.p, err, a.failures)
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
			e.giveUp(outcomes(rest), last)
			return
		}
		e.log.Warn("gosk: could not store outcomes; will retry", slog.Any("error", last), slog.Int("tasks", len(rest)), slog.Int("failures", round))
	}
}

// probe pings one lease, so that a store that answers counts in
// e.answered.
func (e *engine[T]) probe(giveUp context.Context, l driver.Lease) {
	ctx, cancel := context.WithTimeout(giveUp, e.cfg.PingInterval)
	defer cancel()
	if errs, err := e.drv.Ping(ctx, []driver.Lease{l}, e.cfg.Lease); err == nil && len(errs) == 1 {
		e.answer()
	}
}

// alone is an outcome that storeAlone stores on its own.
type alone[T any] struct {
	p        pending[T]
	failures int // failed calls
	// strikes counts the failures that came while the store was seen
	// answering: some call succeeded since this outcome's previous
	// failure (or since storeAlone began), or else a probe did.
	strikes int
	mark    uint64 // engine.answered at the previous failure
}

func outcomes[T any](as []alone[T]) []pending[T] {
	ps := make([]pending[T], len(as))
	for i, a := range as {
		ps[i] = a.p
	}
	return ps
}

// finishCall makes one Finish call for batch.
func (e *engine[T]) finishCall(giveUp context.Context, batch []pending[T]) ([]error, error) {
	outs := make([]driver.Outcome, len(batch))
	for i, p := range batch {
		outs[i] = p.out
	}
	ctx, cancel := context.WithTimeout(giveUp, e.cfg.Lease)
	errs, err := e.drv.Finish(ctx, outs)
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
	e.answer()
	return errs, nil
}

// giveUp gives up outcomes that the store could not take before the
// shutdown gave up on it, or because it is closed.
func (e *engine[T]) giveUp(batch []pending[T], err error) {
	e.log.Error("gosk: could not store outcomes; giving up", slog.Any("error", err), slog.Int("tasks", len(batch)))
	for _, p := range batch {
		e.noteNotStored(p, err)
		e.done(p.r, Event{Kind: EventNotStored, Task: p.r.info, Err: err, Duration: p.dur})
	}
}

// refuse gives up one outcome that the store will not take. The task's
// lease is no longer pinged, so it runs out and the store hands the task
// out again (or fails it, "lease expired", if that was its last attempt).
func (e *engine[T]) refuse(p pending[T], err error, failures int) {
	e.noteNotStored(p, err)
	e.log.Error("gosk: the store refused the outcome; giving up on it, the task will run again when its lease runs out",
		slog.Int64("task_id", p.r.info.ID), slog.Int("attempt", p.r.info.Attempt), slog.String("outcome", p.out.Kind.String()),
		slog.Any("error", err), slog.Int("failures", failures))
	e.done(p.r, Event{Kind: EventNotStored, Task: p.r.info, Err: fmt.Errorf("worker: the store refused the outcome: %w", err), Duration: p.dur})
}

// noteNotStored records an outcome given up on, for the error of Run or
// Work.
func (e *engine[T]) noteNotStored(p pending[T], err error) {
	e.notStored = append(e.notStored, fmt.Sprintf("task %d %s", p.r.info.ID, p.kind))
	if err != nil {
		e.notStoredErr = err
	}
}

// notStoredError is the error of a Run or Work that gave up outcomes: it
// names them (the first maxNamed) and wraps the last store error.
func (e *engine[T]) notStoredError() error {
	named := e.notStored
	more := ""
	if len(named) > maxNamed {
		more = fmt.Sprintf(" and %d more", len(named)-maxNamed)
		named = named[:maxNamed]
	}
	return fmt.Errorf("worker: %d task outcomes not stored (see EventNotStored): %s%s; their leases run out and the tasks will run again: %w",
		len(e.notStored), strings.Join(named, ", "), more, e.notStoredErr)
}

// watchStore bounds Work's wait for a store that is down: once no store
// call has succeeded for a whole Config.Lease while outcomes wait to be
// stored, it gives up storing (giveUp), so that the waiting outcomes and
// any still to come are given up at once and Work returns. By then no
// ping has extended the leases of the tasks the worker holds for a lease,
// so those leases have run out and any worker may claim the tasks again.
// It returns when ctx is done.
func (e *engine[T]) watchStore(ctx context.Context, giveUp context.CancelFunc) {
	t := time.NewTimer(e.cfg.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		since := time.Since(time.Unix(0, e.lastAnswer.Load()))
		if since >= e.cfg.Lease && e.waiting() > 0 {
			e.log.Error("gosk: the store has answered no call for a lease; giving up the outcomes not stored",
				slog.Duration("since", since), slog.Int("tasks", e.waiting()))
			giveUp()
			return
		}
		t.Reset(min(e.cfg.PingInterval, max(e.cfg.Lease-since, time.Millisecond)))
	}
}

// waiting is how many outcomes wait to be stored: tasks held whose
// handler has returned.
func (e *engine[T]) waiting() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.held) + len(e.orphans) - e.handling
}

// stored reports the outcomes of a Finish call that succeeded, with its
// per-item errors.
func (e *engine[T]) stored(ctx context.Context, batch []pending[T], errs []error) {
	for i, p := range batch {
		r := p.r
		if errors.Is(errs[i], driver.ErrTaskConflict) && p.tried {
			// An earlier call that failed may have been stored after all.
			errs[i] = nil
		}
		if errs[i] != nil {
			e.log.Warn("gosk: lease lost before the outcome was stored", slog.Int64("task_id", r.info.ID), slog.Any("error", errs[i]))
			e.done(r, Event{Kind: EventLeaseLost, Task: r.info, Err: errs[i], Duration: p.dur})
			continue
		}
		if p.kind == EventRetried || p.kind == EventSnoozed {
			// Even with no delay: a driver without driver.Notifier wakes
			// nobody when a task is released.
			e.noteDue(p.out.Delay)
		}
		ev := Event{Kind: p.kind, Task: r.info, Err: p.err, Duration: p.dur, Delay: p.out.Delay}
		lvl := slog.LevelDebug
		if p.kind == EventRetried || p.kind == EventFailed {
			lvl = slog.LevelWarn
		}
		e.log.Log(ctx, lvl, "gosk: task "+p.kind.String(), slog.Int64("task_id", r.info.ID), slog.Int("attempt", r.info.Attempt),
			slog.Duration("duration", p.dur), slog.Any("error", p.err))
		e.done(r, ev)
	}
}

// noteDue records that a task this worker released becomes available
// after delay (on the store's clock; the process clock is near enough for
// a wake-up) and tells the claim loop if that is sooner than it knew.
// Every due time is kept, not only the earliest, so that a retry due
// after another is not left to the next poll.
func (e *engine[T]) noteDue(delay time.Duration) {
	at := time.Now().Add(delay)
	e.mu.Lock()
	i, _ := slices.BinarySearchFunc(e.dues, at, time.Time.Compare)
	if i < maxDues {
		if len(e.dues) == maxDues {
			e.dues = e.dues[:maxDues-1]
		}
		e.dues = slices.Insert(e.dues, i, at)
	}
	e.mu.Unlock()
	if i == 0 {
		select {
		case e.dueSet <- struct{}{}:
		default:
		}
	}
}

// untilDue returns how long until the earliest released task is due, and
// false if none is.
func (e *engine[T]) untilDue() (time.Duration, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.dues) == 0 {
		return 0, false
	}
	return max(time.Until(e.dues[0]), 0), true
}

// clearDue forgets the due times that have passed and returns untilDue
// of the rest.
func (e *engine[T]) clearDue() (time.Duration, bool) {
	e.mu.Lock()
	now := time.Now()
	n := 0
	for n < len(e.dues) && !e.dues[n].After(now) {
		n++
	}
	e.dues = slices.Delete(e.dues, 0, n)
	e.mu.Unlock()
	return e.untilDue()
}

// done forgets a run, frees its slot and reports its event.
func (e *engine[T]) done(r *run[T], ev Event) {
	e.mu.Lock()
	if e.held[r.lease.TaskID] == r {
		delete(e.held, r.lease.TaskID)
	} else {
		delete(e.orphans, r)
	}
	e.mu.Unlock()
	e.signalFreed()
	if e.cfg.OnEvent != nil {
		e.cfg.OnEvent(ev)
	}
}

// ping extends the leases of every held task each PingInterval, in one
// call, and cancels the handlers whose lease is lost, until ctx is done.
func (e *engine[T]) ping(ctx context.Context) {
	t := time.NewTicker(e.cfg.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		e.mu.Lock()
		leases := make([]driver.Lease, 0, len(e.held))
		for _, r := range e.held {
			if !r.lost {
				leases = append(leases, r.lease)
			}
		}
		e.mu.Unlock()
		if len(leases) == 0 {
			continue
		}
		pctx, cancel := context.WithTimeout(ctx, e.cfg.PingInterval)
		errs, err := e.drv.Ping(pctx, leases, e.cfg.Lease)
		cancel()
		if err == nil && len(errs) != len(leases) {
			err = fmt.Errorf("driver returned %d results for %d leases", len(errs), len(leases))
		}
		if err != nil {
			if ctx.Err() == nil {
				e.log.Warn("gosk: ping failed; will retry at the next interval", slog.Any("error", err), slog.Int("tasks", len(leases)))
			}
			continue
		}
		e.answer()
		for i, perr := range errs {
			if perr != nil {
				e.lose(leases[i], perr)
			}
		}
	}
}

// lose marks a run's lease lost and cancels its handler.
func (e *engine[T]) lose(l driver.Lease, cause error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	r := e.held[l.TaskID]
	if r == nil || r.lease != l || r.lost || r.returned {
		// A run whose handler has returned is on its way to Finish, which
		// reports a lost lease itself; a ping racing that Finish is no news.
		return
	}
	r.lost = true
	r.cancel(fmt.Errorf("worker: task %d: %w", l.TaskID, cause))
	e.log.Warn("gosk: lease lost; cancelling the handler", slog.Int64("task_id", l.TaskID), slog.Any("error", cause))
}

// purge deletes final tasks older than Config.Retention every
// RetentionInterval, in bounded batches, until ctx is done.
func (e *engine[T]) purge(ctx context.Context) {
	t := time.NewTimer(jitter(e.cfg.RetentionInterval))
	defer t.Stop()
	for {
		total := 0
		for range retentionRounds {
			n, err := e.w.admin.Purge(ctx, driver.PurgeParams{Queue: e.w.q.Name(), OlderThan: e.cfg.Retention, Limit: e.cfg.RetentionBatch})
			total += n
			if err != nil {
				if ctx.Err() == nil {
					e.log.Warn("gosk: purge failed", slog.Any("error", err))
				}
				break
			}
			if n < e.cfg.RetentionBatch {
				break
			}
		}
		if total > 0 {
			e.log.Debug("gosk: purged final tasks", slog.Int("tasks", total))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			t.Reset(jitter(e.cfg.RetentionInterval))
		}
	}
}

// free is how many tasks the worker may claim now: a slot is free when
// its handler has returned, so that claims overlap the storing of
// outcomes, as long as the tasks held (running or waiting for their
// outcome to be stored) stay within twice Config.Concurrency.
func (e *engine[T]) free() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return min(e.cfg.Concurrency-e.handling, 2*e.cfg.Concurrency-len(e.held)-len(e.orphans))
}

func (e *engine[T]) signalFreed() {
	select {
	case e.freed <- struct{}{}:
	default:
	}
}

func (e *engine[T]) heldCount() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.held) + len(e.orphans)
}

func (e *engine[T]) handlingCount() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.handling
}

// storeBackoff is the wait before retrying a failed store call.
func storeBackoff(failures int) time.Duration {
	d := 5 * time.Second
	if failures < 10 {
		d = min(10*time.Millisecond<<failures, d)
	}
	return jitter(d)
}

// sleep waits for d or until ctx is done, and reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
