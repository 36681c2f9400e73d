package gosk

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gosk/gosk/driver"
)

// ListOptions says which tasks [Queue.List] returns. The zero value and
// nil mean the first driver.DefaultListLimit tasks in any state.
type ListOptions struct {
	// States to include; empty means all.
	States []State
	// AfterID returns only tasks with a greater ID, so that the last ID of
	// one page is the cursor of the next. Zero starts at the beginning.
	AfterID int64
	// Limit is the most tasks returned. Default driver.DefaultListLimit.
	Limit int
}

func (q *Queue[T]) admin() (driver.Admin, error) {
	a, ok := q.drv.(driver.Admin)
	if !ok {
		return nil, fmt.Errorf("%w: %T does not implement driver.Admin", ErrUnsupported, q.drv)
	}
	return a, nil
}

// List returns the queue's tasks in ascending ID order, filtered and paged
// by opts. It needs [driver.Admin]. A task whose payload does not decode is
// returned as it is, with a zero payload, and the error says which.
func (q *Queue[T]) List(ctx context.Context, opts *ListOptions) ([]*Task[T], error) {
	a, err := q.admin()
	if err != nil {
		return nil, err
	}
	var o ListOptions
	if opts != nil {
		o = *opts
	}
	recs, err := a.List(ctx, driver.ListParams{Queue: q.name, States: o.States, AfterID: o.AfterID, Limit: o.Limit})
	if err != nil {
		return nil, fmt.Errorf("gosk: list queue %q: %w", q.name, err)
	}
	tasks := make([]*Task[T], len(recs))
	var errs []error
	for i, rec := range recs {
		t, err := q.Decode(rec)
		errs = append(errs, err)
		tasks[i] = t
	}
	return tasks, errors.Join(errs...)
}

// Count returns how many of the queue's tasks are in each state; every
// state is in the map. It needs [driver.Admin].
func (q *Queue[T]) Count(ctx context.Context) (map[State]int64, error) {
	a, err := q.admin()
	if err != nil {
		return nil, err
	}
	n, err := a.Count(ctx, q.name)
	if err != nil {
		return nil, fmt.Errorf("gosk: count queue %q: %w", q.name, err)
	}
	return n, nil
}

// Retry moves failed or cancelled tasks back to pending, available at
// once, with their attempts reset. The error joins one error per task that
// could not be retried, each naming the task and wrapping
// [ErrTaskNotFound] (no such task, or a task of another queue, as for
// [Queue.Get]), [ErrTaskConflict] (the task has not ended, or
// completed), or [ErrDuplicate] (its unique key is held by another
// pending or running task); the others are retried. It reads each task
// first, to check its queue. It needs [driver.Admin].
func (q *Queue[T]) Retry(ctx context.Context, ids ...int64) error {
	a, err := q.admin()
	if err != nil {
		return err
	}
	return q.perTask(ctx, "retry", a.Retry, ids)
}

// Cancel moves pending or running tasks to cancelled. A running task's
// worker learns at its next ping and its handler's context is cancelled.
// Errors are reported as by Retry; a task of another queue is not
// cancelled. It needs [driver.Admin].
func (q *Queue[T]) Cancel(ctx context.Context, ids ...int64) error {
	a, err := q.admin()
	if err != nil {
		return err
	}
	return q.perTask(ctx, "cancel", a.Cancel, ids)
}

// perTask applies call to the tasks of ids that belong to the queue, and
// joins one error per task it did not apply to. The driver's Retry and
// Cancel take any task of the store; a Queue acts on its own tasks only,
// as Get reads only them, so that an ID of another queue (of another
// payload type, another application's work) is refused, not acted on.
func (q *Queue[T]) perTask(ctx context.Context, verb string, call func(context.Context, []int64) ([]error, error), ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	if err := driver.ValidateIDs(ids); err != nil {
		return fmt.Errorf("gosk: %s in queue %q: %w", verb, q.name, err)
	}
	errs := make([]error, len(ids))
	mine, at := make([]int64, 0, len(ids)), make([]int, 0, len(ids))
	for i, id := range ids {
		rec, err := q.drv.Get(ctx, id)
		switch {
		case errors.Is(err, ErrTaskNotFound):
			errs[i] = err
		case err != nil:
			return fmt.Errorf("gosk: %s in queue %q: %w", verb, q.name, err)
		case rec.Queue != q.name:
			errs[i] = fmt.Errorf("it belongs to queue %q, not %q: %w", rec.Queue, q.name, ErrTaskNotFound)
		default:
			mine, at = append(mine, id), append(at, i)
		}
	}
	if len(mine) > 0 {
		got, err := call(ctx, mine)
		if err != nil {
			return fmt.Errorf("gosk: %s in queue %q: %w", verb, q.name, err)
		}
		if len(got) != len(mine) {
			return fmt.Errorf("gosk: %s in queue %q: driver returned %d results for %d tasks", verb, q.name, len(got), len(mine))
		}
		for j, e := range got {
			errs[at[j]] = e
		}
	}
	var out []error
	for i, e := range errs {
		if e != nil {
			out = append(out, fmt.Errorf("gosk: %s task %d: %w", verb, ids[i], e))
		}
	}
	return errors.Join(out...)
}

// Purge deletes the queue's final tasks that were finalised at least
// olderThan ago (all of them if zero), in bounded batches of
// driver.DefaultPurgeLimit, and returns how many it deleted. It needs
// [driver.Admin].
func (q *Queue[T]) Purge(ctx context.Context, olderThan time.Duration) (int, error) {
	a, err := q.admin()
	if err != nil {
		return 0, err
	}
	total := 0
	for {
		n, err := a.Purge(ctx, driver.PurgeParams{Queue: q.name, OlderThan: olderThan, Limit: driver.DefaultPurgeLimit})
		total += n
		if err != nil {
			return total, fmt.Errorf("gosk: purge queue %q: %w", q.name, err)
		}
		if n < driver.DefaultPurgeLimit {
			return total, nil
		}
	}
}
