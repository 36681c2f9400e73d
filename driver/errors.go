package driver

import "errors"

// Sentinel errors shared by every driver. Adapters return them wrapped with
// %w where a cause is worth keeping, so callers test with errors.Is. Package
// gosk re-exports each of them.
var (
	// ErrNoTask means no task was available. Drivers return an empty Claim
	// instead; package worker returns it from a run that found no work.
	ErrNoTask = errors.New("gosk: no task available")

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
