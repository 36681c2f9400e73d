package driver

import (
	"errors"
	"fmt"
)

// Sentinel errors shared by every driver. Adapters return them wrapped with
// %w where a cause is worth keeping, so callers test with errors.Is. Package
// gosk re-exports each of them.
var (
	// ErrTaskNotFound means no task has the given ID.
	ErrTaskNotFound = errors.New("gosk: task not found")

	// ErrTaskConflict means the task is not in a state that allows the
	// call: an outcome by a lease that already ended its run (finalised or
	// released the task), retrying a task that has not ended, cancelling
	// one that has. Nothing was changed.
	ErrTaskConflict = errors.New("gosk: task state conflict")

	// ErrLeaseLost means the lease named in the call no longer holds: the
	// task was claimed again, cancelled from outside, or failed on a lapsed
	// last lease; or, for a ping, the lease already ended its run. Nothing
	// was changed.
	ErrLeaseLost = errors.New("gosk: lease lost")

	// ErrDuplicate means a pending or running task of the same queue already
	// has the unique key; the result carries that task's ID.
	ErrDuplicate = errors.New("gosk: duplicate unique key")

	// ErrUnsupportedPriorityRule means the driver does not know the rule,
	// or the rule is not one of Fifo, Lifo and Priority.
	ErrUnsupportedPriorityRule = errors.New("gosk: unsupported priority rule")

	// ErrInvalid means the input of a call is malformed; the wrapping
	// message says which field and why. Nothing was changed.
	ErrInvalid = errors.New("gosk: invalid argument")

	// ErrClosed means the driver has been closed.
	ErrClosed = errors.New("gosk: driver closed")
)

// TaskError is the error of one item of a batch call that names a task
// (Ping, Finish, Retry, Cancel): which task, and why. Err is one of the
// sentinels above, so errors.Is sees through a TaskError; Detail, when set,
// says in words what the sentinel alone does not (the state the task was
// in, the task that holds a unique key). Every shipped adapter reports its
// per-item errors in this one form; a third-party driver may return the
// bare sentinel, which callers handle the same way.
type TaskError struct {
	ID     int64
	Err    error
	Detail string
}

// NewTaskError returns a *TaskError for task id with the sentinel err and,
// when format is not empty, a detail formatted from format and args.
func NewTaskError(id int64, err error, format string, args ...any) error {
	e := &TaskError{ID: id, Err: err}
	if format != "" {
		e.Detail = fmt.Sprintf(format, args...)
	}
	return e
}

// Error reads "task 7: gosk: task state conflict: it is pending".
func (e *TaskError) Error() string {
	if e.Detail == "" {
		return fmt.Sprintf("task %d: %v", e.ID, e.Err)
	}
	return fmt.Sprintf("task %d: %v: %s", e.ID, e.Err, e.Detail)
}

// Unwrap returns the sentinel.
func (e *TaskError) Unwrap() error { return e.Err }

// portErrors lists the sentinels above that a driver returns.
var portErrors = []error{
	ErrInvalid, ErrClosed, ErrTaskNotFound, ErrTaskConflict, ErrLeaseLost,
	ErrDuplicate, ErrUnsupportedPriorityRule,
}

// IsPortError reports whether err is, or wraps, one of this package's
// sentinels: an answer in the port's own terms, which an adapter passes on
// as it is rather than wrapping it again as a store failure.
func IsPortError(err error) bool {
	for _, s := range portErrors {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}
