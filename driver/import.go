package driver

import (
	"fmt"
	"time"
)

// MaxOriginLen is the longest ImportTask.Origin, in bytes.
const MaxOriginLen = 1024

// The times an imported task may carry lie after minImportTime (the start
// of 1970, which a store may read as no time) and before MaxImportTime.
var minImportTime = time.Unix(0, 0)

// MaxImportTime bounds the times of an ImportTask: each is earlier. Every
// store keeps such times to the microsecond (some as nanoseconds since
// 1970, which end in 2262; Redis's scripts as microseconds in a Lua
// number, exact to about 2255). A pending task due later than that is
// due never in practice: gosk.Move imports it due just before.
var MaxImportTime = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)

// ImportTask is a task copied from another store, for Importer.Import.
type ImportTask struct {
	// Origin names the store the task comes from, so that the same task
	// copied twice is stored once: package gosk's Move uses the source
	// store's address without its credentials. It is text (see "Text" in
	// the package doc), 1 to MaxOriginLen bytes.
	Origin string

	// Task is the task's record on its origin, stored as it is:
	//   - ID is the task's ID there (positive). The imported task gets an
	//     ID of the importing store, which the result returns.
	//   - State is pending or final (completed, cancelled, failed), never
	//     running: a running task belongs to the worker that holds it.
	//   - Queue, Payload, Priority, UniqueKey and MaxAttempts follow
	//     NewTask's rules; Attempt lies within [0, MaxAttempts]; LastError
	//     is text of at most MaxMessageLen bytes.
	//   - CreatedAt and RunAt are not zero; FinalizedAt is set when, and
	//     only when, the task is final; LeaseExpiresAt is zero. Times are
	//     kept to the microsecond.
	//   - Result is set only on a completed task, at most MaxResultLen
	//     bytes.
	Task TaskRecord
}

// ImportResult is the result of importing one task.
type ImportResult struct {
	// ID is the task's ID in the importing store: the new task's, the
	// one it was imported as before (Imported false, Err nil; that task
	// may since have been purged), or, with ErrDuplicate, the ID of the
	// task that holds its unique key.
	ID int64
	// Imported reports whether this call stored the task.
	Imported bool
	// Err is nil or ErrDuplicate: a pending task whose queue and unique
	// key belong to a pending or running task is not stored, and its
	// origin is not recorded (a later import may store it). On a store
	// that imports atomically per queue only, it may also be the failure
	// of the task's queue, as for Create.
	Err error
}

// ValidateImports checks a batch for Importer.Import, with payloads of at
// most maxPayload bytes (the driver's payload limit), and at most
// BatchPayloadLimit(maxPayload) bytes in all. A batch that names the same
// origin task twice for one queue is invalid.
func ValidateImports(tasks []ImportTask, maxPayload int) error {
	type origin struct {
		queue, name string
		id          int64
	}
	seen := make(map[origin]struct{}, len(tasks))
	total := 0
	for i, it := range tasks {
		if err := checkImport(it, maxPayload); err != nil {
			return fmt.Errorf("import %d: %w", i, err)
		}
		total += len(it.Task.Payload)
		o := origin{it.Task.Queue, it.Origin, it.Task.ID}
		if _, dup := seen[o]; dup {
			return fmt.Errorf("%w: import %d: origin %q task %d is named twice for queue %q in one batch", ErrInvalid, i, it.Origin, it.Task.ID, it.Task.Queue)
		}
		seen[o] = struct{}{}
	}
	return checkBatchPayload(total, maxPayload)
}

func checkImport(it ImportTask, maxPayload int) error {
	r := it.Task
	if it.Origin == "" {
		return fmt.Errorf("%w: origin is empty", ErrInvalid)
	}
	if err := CheckText(it.Origin, MaxOriginLen); err != nil {
		return fmt.Errorf("%w: origin %w", ErrInvalid, err)
	}
	if r.ID <= 0 {
		return fmt.Errorf("%w: origin task ID %d is not positive", ErrInvalid, r.ID)
	}
	nt := NewTask{Queue: r.Queue, Payload: r.Payload, Priority: r.Priority, MaxAttempts: r.MaxAttempts, UniqueKey: r.UniqueKey}
	if err := ValidateNewTasksMax([]NewTask{nt}, maxPayload); err != nil {
		return err
	}
	final := r.State.Final()
	switch {
	case r.State != StatePending && !final:
		return fmt.Errorf("%w: state %q cannot be imported; only pending and final tasks can", ErrInvalid, r.State)
	case r.Attempt < 0 || r.Attempt > r.MaxAttempts:
		return fmt.Errorf("%w: attempt %d is outside [0, max attempts %d]", ErrInvalid, r.Attempt, r.MaxAttempts)
	case r.CreatedAt.IsZero() || r.RunAt.IsZero():
		return fmt.Errorf("%w: created-at and run-at must be set", ErrInvalid)
	case !r.LeaseExpiresAt.IsZero():
		return fmt.Errorf("%w: a lease expiry is set on a %s task", ErrInvalid, r.State)
	case final && r.FinalizedAt.IsZero():
		return fmt.Errorf("%w: a %s task has no finalised-at", ErrInvalid, r.State)
	case !final && !r.FinalizedAt.IsZero():
		return fmt.Errorf("%w: a pending task has a finalised-at", ErrInvalid)
	case len(r.Result) > MaxResultLen:
		return fmt.Errorf("%w: result is %d bytes, longer than MaxResultLen (%d)", ErrInvalid, len(r.Result), MaxResultLen)
	case len(r.Result) > 0 && r.State != StateCompleted:
		return fmt.Errorf("%w: a %s task has a result; only a completed task has one", ErrInvalid, r.State)
	}
	if err := CheckText(r.LastError, MaxMessageLen); err != nil {
		return fmt.Errorf("%w: last error %w", ErrInvalid, err)
	}
	for _, t := range []time.Time{r.CreatedAt, r.RunAt, r.FinalizedAt} {
		if !t.IsZero() && (!t.After(minImportTime) || !t.Before(MaxImportTime)) {
			return fmt.Errorf("%w: time %v is not between 1970 and 2200, the times every store keeps to the microsecond", ErrInvalid, t)
		}
	}
	return nil
}
