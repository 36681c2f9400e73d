package gosk

import (
	"errors"
	"fmt"
	"time"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/internal/notask"
)

// The driver's sentinel errors, re-exported so that a user needs one import
// to test errors with errors.Is. Each is the very same value as its
// counterpart in package driver.
var (
	// ErrTaskNotFound means no task has the given ID.
	ErrTaskNotFound = driver.ErrTaskNotFound
	// ErrTaskConflict means the task's state does not allow the call, such
	// as retrying a task that has not ended or cancelling one that has.
	ErrTaskConflict = driver.ErrTaskConflict
	// ErrLeaseLost means a worker's lease on a task no longer holds.
	ErrLeaseLost = driver.ErrLeaseLost
	// ErrDuplicate means a pending or running task of the same queue has
	// the unique key; the existing task's ID is returned with it.
	ErrDuplicate = driver.ErrDuplicate
	// ErrUnsupportedPriorityRule means the rule is not valid or the driver
	// does not support it.
	ErrUnsupportedPriorityRule = driver.ErrUnsupportedPriorityRule
	// ErrInvalid means an argument or option is malformed; the message
	// names it.
	ErrInvalid = driver.ErrInvalid
	// ErrClosed means the driver has been closed.
	ErrClosed = driver.ErrClosed
)

// ErrNoTask means no task was available: package worker's Work returns it
// from a one-shot run that found no work.
//
// Deprecated: use worker.ErrNoTask, where it is returned; it is the same
// value, so errors.Is matches either. No driver returns it.
var ErrNoTask = notask.ErrNoTask

// ErrCancelTask, returned by a handler (wrapped or not), cancels its task:
// it moves to cancelled, is not retried, and the error's text is stored as
// its last error.
var ErrCancelTask = errors.New("gosk: cancel task")

// ErrUnsupported means the driver lacks the optional capability that a
// call needs, such as [driver.Admin] for [Queue.Count].
var ErrUnsupported = errors.New("gosk: not supported by the driver")

// SnoozeError is the error of [Snooze]. A worker that gets it from a
// handler releases the task to run again after Delay and gives back the
// attempt the run counted.
type SnoozeError struct {
	// Delay is how long the task waits before it can be claimed again.
	Delay time.Duration
}

// Error describes the snooze.
func (e *SnoozeError) Error() string { return fmt.Sprintf("gosk: snooze for %v", e.Delay) }

// Snooze returns an error that a handler returns to run its task again
// after d without using up an attempt: the worker releases the task with
// a delay of d and leaves its last error as it was. A negative d counts as
// zero. Find it in a wrapped error with errors.As and a *SnoozeError.
func Snooze(d time.Duration) error {
	if d < 0 {
		d = 0
	}
	return &SnoozeError{Delay: d}
}
