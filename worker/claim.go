package worker

import (
	"context"
	"log/slog"

	"github.com/gosk/gosk/driver"
)

// claim claims up to limit tasks and starts an attempt for each; tasks
// that arrive after ctx is done are released at once without running,
// and stopping says so.
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
		e.giveBack(limit)
		return 0, false, err
	}
	e.health.answer()
	stopping = ctx.Err() != nil
	e.start(base, tasks, stopping)
	if stopping {
		e.giveBack(limit)
	} else {
		e.giveBack(limit - len(tasks))
	}
	return len(tasks), stopping, nil
}

// start holds the claimed tasks as new attempts, in one call to the
// ledger, and starts the handlers of those that a free handler slot takes
// (the others wait in the queue, see Config.Prefetch); or, if the worker
// is stopping, hands them straight to the finisher for release.
func (e *engine[T]) start(base context.Context, tasks []driver.ClaimedTask, stopping bool) {
	if len(tasks) == 0 {
		return
	}
	// One allocation for the claim's attempts: an attempt keeps them all
	// alive until it is forgotten, but each lets go of its record once
	// decoded (dropRecord) and of its task and context once forgotten
	// (release), so that a slow handler holds a claim's worth of small
	// structs, not of payloads.
	held := make([]attempt[T], len(tasks))
	as := make([]*attempt[T], len(tasks))
	for i := range tasks {
		ct := &tasks[i]
		a := &held[i]
		a.ctx, a.cancel = context.WithCancelCause(base)
		a.lease, a.rec = ct.Lease, &ct.Task
		a.info = TaskInfo{
			ID:          ct.Task.ID,
			Queue:       ct.Task.Queue,
			Attempt:     ct.Task.Attempt,
			MaxAttempts: ct.Task.MaxAttempts,
			Priority:    ct.Task.Priority,
		}
		as[i] = a
	}
	run, reclaimed := e.runs.holdAll(as, e.cfg.Concurrency, stopping)
	for _, id := range reclaimed {
		e.log.Warn("gosk: lease ran out and the task was claimed again; cancelling the old run", slog.Int64("task_id", id))
	}
	if stopping {
		for _, a := range as {
			a.cancel(ErrShutdown)
			e.runs.put(result[T]{a: a, err: errNotRun})
		}
		return
	}
	for _, a := range as[:run] {
		e.handlers.Add(1)
		go e.run(a)
	}
}

// run is a handler goroutine: it handles a, then each attempt waiting
// in the queue that handle hands it. The caller has added it to
// e.handlers.
func (e *engine[T]) run(a *attempt[T]) {
	defer e.handlers.Done()
	for a != nil {
		a = e.handle(a.ctx, a)
	}
}
