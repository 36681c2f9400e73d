package gosk

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/gosk/gosk/driver"
)

// Defaults of MoveOptions.
const (
	// DefaultMoveBatch is how many tasks Move reads and imports per call
	// when MoveOptions.BatchSize is zero.
	DefaultMoveBatch = 500
	// DefaultMovePoll is how often Move looks again at a queue's running
	// tasks under MoveOptions.Wait when PollInterval is zero.
	DefaultMovePoll = time.Second
	// MoveLapseMargin is how long after its expiry, on the mover's clock,
	// a lease on the source counts as run out under MoveOptions.Wait: a
	// margin for the clocks of the mover and the store.
	MoveLapseMargin = 5 * time.Second
)

// MoveOptions says what [Move] moves and how.
type MoveOptions struct {
	// Origin names the source store in the destination's record of what
	// was moved (see driver.Importer). Required, and the same on every
	// run from one source: it is what makes a second run move nothing
	// twice. The gosk command uses the source's address without its
	// credentials.
	Origin string
	// Queues to move. Empty means every queue the source lists, which
	// needs driver.QueueLister on the source.
	Queues []string
	// History also copies each queue's final tasks (completed, cancelled,
	// failed), with their results, last errors and times, so that the
	// destination's listings show what happened before the move. They
	// stay on the source too.
	History bool
	// Wait keeps moving each queue until no task of it runs on the source:
	// tasks that source workers still run are moved if their run gives
	// them back (a retry), and tasks whose lease ran out (their worker is
	// gone) are moved as a claim of the lapsed lease would take them.
	// Without Wait, Move makes one pass and reports what still runs.
	Wait bool
	// PollInterval is how often Wait looks again. Default DefaultMovePoll.
	PollInterval time.Duration
	// BatchSize is how many tasks one read and one import carry. Default
	// DefaultMoveBatch; at most 10,000.
	BatchSize int
	// Progress, if set, is called after each batch with the report so
	// far, from Move's goroutine.
	Progress func(MoveReport)
}

// MoveReport says what [Move] did, queue by queue.
type MoveReport struct {
	Queues []QueueMove
}

// QueueMove is what [Move] did with one queue.
type QueueMove struct {
	// Queue is the queue's name, the same on both stores.
	Queue string
	// WasPaused reports that the queue was paused on the source before
	// this run began: by its owner, or by an earlier run of Move. Move
	// leaves the destination's pause as it was; pause it there too if
	// it should stay paused.
	WasPaused bool
	// Moved counts the pending tasks this run stored on the destination
	// and cancelled on the source.
	Moved int64
	// Resumed counts pending tasks that an earlier run had stored on the
	// destination but not yet cancelled on the source (it stopped between
	// the two): this run only cancelled them.
	Resumed int64
	// Lapsed counts the tasks, among Moved, whose lease on the source had
	// run out (Wait only); those on their last attempt were stored as
	// failed, as a claim on the source would have failed them.
	Lapsed int64
	// Copied counts the final tasks copied with History this run.
	Copied int64
	// Held counts the pending tasks left on the source because a pending
	// or running task of the destination holds their unique key.
	Held int64
	// Running counts the tasks still running on the source when Move
	// finished with the queue (without Wait).
	Running int64
}

// Move moves the pending tasks of queues from the store of src to the
// store of dst, and on request copies their history: for the user who
// outgrows one store (an embedded file) for another (a shared server),
// with any pair of drivers. It needs driver.Admin on src and
// driver.Importer on dst.
//
// Each queue is first paused on the source, for good: from then on its
// workers there take no task, and those running finish as usual. Then
// each pending task is stored on the destination with its payload,
// priority, run-at, attempts, unique key and last error, under the
// record of its origin, and only then cancelled on the source. Workers of
// the destination may run while Move does.
//
// A task due after driver.MaxImportTime (a delay of centuries) is
// stored due just before it.
//
// Move is resumable and idempotent: a run that stops (an error, a crash)
// leaves every task on one store or, between the two steps, on both with
// the source's copy pending in a paused queue, and a second run with the
// same Origin finishes the job, storing nothing twice. Tasks created on
// the source after the move are moved by a later run.
//
// Move refuses two drivers on the same store, which it cannot always
// tell: the gosk command checks the addresses it is given.
func Move(ctx context.Context, src, dst driver.Driver, opts *MoveOptions) (MoveReport, error) {
	var o MoveOptions
	if opts != nil {
		o = *opts
	}
	m, err := newMover(src, dst, o)
	if err != nil {
		return MoveReport{}, err
	}
	queues := o.Queues
	if len(queues) == 0 {
		lister, ok := src.(driver.QueueLister)
		if !ok {
			return MoveReport{}, fmt.Errorf("%w: %T cannot list its queues (driver.QueueLister): name them in MoveOptions.Queues", ErrUnsupported, src)
		}
		if queues, err = lister.Queues(ctx); err != nil {
			return MoveReport{}, fmt.Errorf("gosk: move: list the source's queues: %w", err)
		}
	}
	if err := driver.ValidateQueueNames(queues); err != nil {
		return MoveReport{}, fmt.Errorf("gosk: move: %w", err)
	}
	paused, err := m.from.PausedQueues(ctx)
	if err != nil {
		return MoveReport{}, fmt.Errorf("gosk: move: read the source's paused queues: %w", err)
	}
	for _, q := range queues {
		m.report.Queues = append(m.report.Queues, QueueMove{Queue: q, WasPaused: slices.Contains(paused, q)})
		if err := m.queue(ctx, &m.report.Queues[len(m.report.Queues)-1]); err != nil {
			return m.report, fmt.Errorf("gosk: move queue %q: %w", q, err)
		}
	}
	return m.report, nil
}

// mover is one run of Move.
type mover struct {
	opts   MoveOptions
	from   driver.Admin
	to     driver.Importer
	report MoveReport
}

func newMover(src, dst driver.Driver, o MoveOptions) (*mover, error) {
	from, ok := src.(driver.Admin)
	if !ok {
		return nil, fmt.Errorf("%w: the source %T cannot list, pause and cancel tasks (driver.Admin)", ErrUnsupported, src)
	}
	to, ok := dst.(driver.Importer)
	if !ok {
		return nil, fmt.Errorf("%w: the destination %T cannot import tasks (driver.Importer)", ErrUnsupported, dst)
	}
	switch {
	case o.Origin == "":
		return nil, fmt.Errorf("%w: MoveOptions.Origin is empty: name the source store, the same way on every run", ErrInvalid)
	case driver.CheckText(o.Origin, driver.MaxOriginLen) != nil:
		return nil, fmt.Errorf("%w: MoveOptions.Origin %w", ErrInvalid, driver.CheckText(o.Origin, driver.MaxOriginLen))
	case o.BatchSize < 0 || o.BatchSize > 10_000:
		return nil, fmt.Errorf("%w: MoveOptions.BatchSize %d is outside [0, 10000]", ErrInvalid, o.BatchSize)
	case o.PollInterval < 0:
		return nil, fmt.Errorf("%w: MoveOptions.PollInterval %v is negative", ErrInvalid, o.PollInterval)
	}
	if o.BatchSize == 0 {
		o.BatchSize = DefaultMoveBatch
	}
	if o.PollInterval == 0 {
		o.PollInterval = DefaultMovePoll
	}
	return &mover{opts: o, from: from, to: to}, nil
}

// queue moves one queue.
func (m *mover) queue(ctx context.Context, qm *QueueMove) error {
	if err := m.from.Pause(ctx, []string{qm.Queue}); err != nil {
		return fmt.Errorf("pause it on the source: %w", err)
	}
	if m.opts.History {
		final := []driver.State{driver.StateCompleted, driver.StateCancelled, driver.StateFailed}
		if err := m.pages(ctx, qm.Queue, final, m.copyFinal(qm)); err != nil {
			return err
		}
	}
	for {
		if err := m.pages(ctx, qm.Queue, []driver.State{driver.StatePending}, m.movePending(qm)); err != nil {
			return err
		}
		running, err := m.runningOn(ctx, qm)
		if err != nil || running == 0 || !m.opts.Wait {
			qm.Running = running
			return err
		}
		t := time.NewTimer(m.opts.PollInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// pages calls do with each page of the queue's tasks in states, in ID
// order, then reports progress.
func (m *mover) pages(ctx context.Context, queue string, states []driver.State, do func(context.Context, []driver.TaskRecord) error) error {
	var after int64
	for {
		recs, err := m.from.List(ctx, driver.ListParams{Queue: queue, States: states, AfterID: after, Limit: m.opts.BatchSize})
		if err != nil {
			return fmt.Errorf("list the source's %v tasks: %w", states, err)
		}
		if len(recs) == 0 {
			return nil
		}
		if err := do(ctx, recs); err != nil {
			return err
		}
		if m.opts.Progress != nil {
			m.opts.Progress(m.report)
		}
		after = recs[len(recs)-1].ID
	}
}

// store imports recs into the destination.
func (m *mover) store(ctx context.Context, recs []driver.TaskRecord) ([]driver.ImportResult, error) {
	in := make([]driver.ImportTask, len(recs))
	for i, r := range recs {
		if !r.RunAt.Before(driver.MaxImportTime) {
			// Due in centuries, which no store keeps exactly: due
			// never in practice, as it stays.
			r.RunAt = driver.MaxImportTime.Add(-time.Second)
		}
		in[i] = driver.ImportTask{Origin: m.opts.Origin, Task: r}
	}
	// A page of large payloads goes in several imports, each within
	// driver.MaxBatchPayloadLen (a page of 500 tasks of 4 MiB would be
	// 2 GiB, which no store takes as one request).
	res := make([]driver.ImportResult, 0, len(in))
	for len(in) > 0 {
		n, bytes := 0, 0
		for n < len(in) && (n == 0 || bytes+len(in[n].Task.Payload) <= driver.MaxBatchPayloadLen) {
			bytes += len(in[n].Task.Payload)
			n++
		}
		part, err := m.to.Import(ctx, in[:n])
		if err != nil {
			return nil, fmt.Errorf("import into the destination: %w", err)
		}
		if len(part) != n {
			return nil, fmt.Errorf("import into the destination: the driver returned %d results for %d tasks", len(part), n)
		}
		res = append(res, part...)
		in = in[n:]
	}
	return res, nil
}

func (m *mover) copyFinal(qm *QueueMove) func(context.Context, []driver.TaskRecord) error {
	return func(ctx context.Context, recs []driver.TaskRecord) error {
		res, err := m.store(ctx, recs)
		if err != nil {
			return err
		}
		for _, r := range res {
			if r.Imported {
				qm.Copied++
			}
		}
		return nil
	}
}

// movePending stores a page of pending tasks on the destination, then
// cancels on the source those the destination now holds.
func (m *mover) movePending(qm *QueueMove) func(context.Context, []driver.TaskRecord) error {
	return func(ctx context.Context, recs []driver.TaskRecord) error {
		res, err := m.store(ctx, recs)
		if err != nil {
			return err
		}
		var done []int64
		for i, r := range res {
			switch {
			case errors.Is(r.Err, driver.ErrDuplicate):
				qm.Held++
			case r.Err != nil:
				return fmt.Errorf("import task %d into the destination: %w", recs[i].ID, r.Err)
			case r.Imported:
				qm.Moved++
				done = append(done, recs[i].ID)
			default:
				qm.Resumed++
				done = append(done, recs[i].ID)
			}
		}
		return m.cancel(ctx, done)
	}
}

// cancel cancels moved tasks on the source. A task that is no longer
// pending or running there (cancelled from outside meanwhile) is left as
// it is: the destination holds it.
func (m *mover) cancel(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	errs, err := m.from.Cancel(ctx, ids)
	if err != nil {
		return fmt.Errorf("cancel moved tasks on the source: %w", err)
	}
	for i, e := range errs {
		if e != nil && !errors.Is(e, driver.ErrTaskConflict) && !errors.Is(e, driver.ErrTaskNotFound) {
			return fmt.Errorf("cancel moved task %d on the source: %w", ids[i], e)
		}
	}
	return nil
}

// runningOn counts the queue's running tasks on the source. Under Wait,
// it first moves those whose lease ran out.
func (m *mover) runningOn(ctx context.Context, qm *QueueMove) (int64, error) {
	if m.opts.Wait {
		if err := m.pages(ctx, qm.Queue, []driver.State{driver.StateRunning}, m.moveLapsed(qm)); err != nil {
			return 0, err
		}
	}
	counts, err := m.from.Count(ctx, qm.Queue)
	if err != nil {
		return 0, fmt.Errorf("count the source's tasks: %w", err)
	}
	return counts[driver.StateRunning], nil
}

// moveLapsed moves the running tasks of a page whose lease ran out: as
// pending, their attempt counted, or as failed on their last attempt.
func (m *mover) moveLapsed(qm *QueueMove) func(context.Context, []driver.TaskRecord) error {
	return func(ctx context.Context, recs []driver.TaskRecord) error {
		cutoff := time.Now().Add(-MoveLapseMargin)
		var lapsed []driver.TaskRecord
		for _, r := range recs {
			if r.LeaseExpiresAt.IsZero() || r.LeaseExpiresAt.After(cutoff) {
				continue
			}
			r.LeaseExpiresAt = time.Time{}
			r.State = driver.StatePending
			if r.Attempt >= r.MaxAttempts {
				r.State = driver.StateFailed
				r.LastError = driver.LeaseExpiredMessage
				r.FinalizedAt = time.Now()
				r.Result = nil
			}
			lapsed = append(lapsed, r)
		}
		if len(lapsed) == 0 {
			return nil
		}
		before := qm.Moved + qm.Resumed
		if err := m.movePending(qm)(ctx, lapsed); err != nil {
			return err
		}
		qm.Lapsed += qm.Moved + qm.Resumed - before
		return nil
	}
}
