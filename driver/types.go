package driver

import (
	"fmt"
	"math"
	"time"
)

// State is where a task stands in its lifecycle. Its string form is what
// adapters store.
type State string

// The five states of a task.
const (
	// StatePending: waiting to be claimed, available once its run-at has
	// come.
	StatePending State = "pending"
	// StateRunning: held by a worker under a lease.
	StateRunning State = "running"
	// StateCompleted: final; its handler succeeded.
	StateCompleted State = "completed"
	// StateCancelled: final; cancelled by its handler or from outside.
	StateCancelled State = "cancelled"
	// StateFailed: final; it gave up after its last attempt.
	StateFailed State = "failed"
)

// States returns every state, in lifecycle order, in a new slice that the
// caller may keep or change.
func States() []State {
	return []State{StatePending, StateRunning, StateCompleted, StateCancelled, StateFailed}
}

// Final reports whether s is completed, cancelled or failed.
func (s State) Final() bool {
	return s == StateCompleted || s == StateCancelled || s == StateFailed
}

// Valid reports whether s is one of the five states.
func (s State) Valid() bool {
	switch s {
	case StatePending, StateRunning, StateCompleted, StateCancelled, StateFailed:
		return true
	}
	return false
}

// PriorityRule is the order in which Claim hands out available tasks. The
// zero value is not a valid rule.
type PriorityRule int

// The priority rules.
const (
	// Fifo: oldest run-at first, then creation order (lowest ID).
	Fifo PriorityRule = iota + 1
	// Lifo: newest run-at first, then the most recently created.
	Lifo
	// Priority: highest NewTask.Priority first, Fifo among equals.
	Priority
)

// Valid reports whether r is one of the defined rules.
func (r PriorityRule) Valid() bool { return r >= Fifo && r <= Priority }

// String returns the rule's name.
func (r PriorityRule) String() string {
	switch r {
	case Fifo:
		return "fifo"
	case Lifo:
		return "lifo"
	case Priority:
		return "priority"
	}
	return fmt.Sprintf("PriorityRule(%d)", int(r))
}

// Limits on task fields, checked by ValidateNewTasks and ValidateOutcomes.
const (
	// MaxQueueNameLen is the longest queue name, in bytes.
	MaxQueueNameLen = 100
	// MaxUniqueKeyLen is the longest unique key, in bytes.
	MaxUniqueKeyLen = 1024
	// MaxMessageLen is the longest Outcome.Message, in bytes. 16 KiB holds
	// any error text worth reading (a long chain of wrapped errors, a
	// panic value, a multi-line validation report) whole, while a record
	// stays small on every store (bbolt and SQLite rewrite it at every
	// claim and ping) and a batch of failing outcomes stays a small
	// request (100 of them, package worker's default batch, are 1.6 MiB at
	// most). CleanMessage cuts longer texts to it.
	MaxMessageLen = 16 << 10
	// MaxResultLen is the longest Outcome.Result, in bytes: 64 KiB. A
	// result says what a run produced (an ID, a count, a URL, a short
	// report), not the product itself, which belongs in the application's
	// own store; and a batch of completions stays a small request (100 of
	// them, package worker's default batch, are 6.4 MiB at most).
	MaxResultLen = 64 << 10
	// MinPriority and MaxPriority bound NewTask.Priority.
	MinPriority = math.MinInt16
	// MaxPriority is the highest priority a task may have.
	MaxPriority = math.MaxInt16
	// MaxAttemptsLimit is the largest NewTask.MaxAttempts.
	MaxAttemptsLimit = math.MaxInt32

	// DefaultMaxPayloadLen is the longest NewTask.Payload a driver takes
	// unless its options say otherwise: 4 MiB. A task's payload names the
	// work (IDs, parameters, a small document), not the data the work is
	// about, and every store rewrites or copies it at claims; 4 MiB is
	// far above any payload of that kind while a batch of them stays a
	// request every store takes in one round trip. Each adapter's options
	// can lower it, or raise it up to MaxPayloadLimit.
	DefaultMaxPayloadLen = 4 << 20
	// MaxPayloadLimit is the highest payload limit an adapter accepts in
	// its options: 512 MiB, what every store we ship a driver for holds in
	// one value (a Redis string by default, a PostgreSQL bytea, an SQLite
	// blob, a bbolt value).
	MaxPayloadLimit = 512 << 20

	// MaxBatchPayloadLen is the most payload bytes one batch (of Create,
	// or of Importer.Import) carries in all: 64 MiB, or the driver's
	// payload limit if that is higher, so that a task of the largest
	// payload the driver takes always goes. A batch is one request: 300
	// payloads of 4 MiB (1.2 GiB) were over PostgreSQL's limit on one
	// message ("message body too large"), and kept a Redis server busy
	// for 25 seconds, past go-redis's read timeout, so that the call
	// failed after it had stored every task. A larger batch is refused
	// with ErrInvalid before the store is touched; split it.
	MaxBatchPayloadLen = 64 << 20
)

// NewTask is a task to create.
type NewTask struct {
	// Queue names the task's queue. Required: see ValidateQueueName.
	Queue string
	// Payload is the task's data, stored as given. Nil and empty payloads
	// both read back as empty. It is at most the driver's payload limit
	// long (DefaultMaxPayloadLen unless the driver's options set another;
	// see ValidateNewTasksMax).
	Payload []byte
	// Priority orders tasks under the Priority rule: higher first. Zero is
	// the usual value; it must lie within [MinPriority, MaxPriority].
	Priority int
	// Delay makes the task available no sooner than Delay after now, on the
	// store's clock. Zero means at once; negative is invalid.
	Delay time.Duration
	// MaxAttempts is how many claims the task may use up before it fails.
	// It must be at least 1; package gosk fills its default.
	MaxAttempts int
	// UniqueKey, if not empty, makes the task unique within its queue while
	// a task with the same key is pending or running. It is text: see
	// "Text" in the package doc. Keys are compared byte for byte.
	UniqueKey string
}

// CreateResult is the result of creating one task.
type CreateResult struct {
	// ID is the new task's ID or, with ErrDuplicate, the existing task's.
	ID int64
	// Err is nil or ErrDuplicate; on a store that creates atomically per
	// queue only, it may also be the failure of the task's queue, of
	// whose tasks none was stored (see Driver.Create).
	Err error
}

// ClaimParams says what to claim.
type ClaimParams struct {
	// Queue to claim from. Required.
	Queue string
	// Limit is the most tasks to claim. Zero means one; negative is
	// invalid.
	Limit int
	// Rule is the order in which tasks are handed out. Required.
	Rule PriorityRule
	// Lease is how long each claimed task is held without a ping. It must
	// be positive.
	Lease time.Duration
}

// Lease names a claim on a running task: the task and the token its claim
// got. Each new token of a task is greater than every earlier one (see
// Fencing in the package doc); the shipped drivers use a per-task counter
// that goes up every time the lease is taken from its holder.
type Lease struct {
	// TaskID is the task's ID.
	TaskID int64
	// Token is the claim's lease token, greater than every token the
	// task's earlier claims got.
	Token int64
}

// ClaimedTask is a task handed out by Claim.
type ClaimedTask struct {
	// Task is the task's record as it stands after the claim: running,
	// its attempt already counted.
	Task TaskRecord
	// Lease is the claim's lease, to name in Ping and Finish.
	Lease Lease
}

// OutcomeKind says how a running task ends its run.
type OutcomeKind int

// The outcome kinds. The zero value is invalid.
const (
	// Complete moves the task to completed.
	Complete OutcomeKind = iota + 1
	// Cancel moves the task to cancelled.
	Cancel
	// Fail moves the task to failed.
	Fail
	// Release gives the task back to pending.
	Release
)

// String returns the kind's name.
func (k OutcomeKind) String() string {
	switch k {
	case Complete:
		return "complete"
	case Cancel:
		return "cancel"
	case Fail:
		return "fail"
	case Release:
		return "release"
	}
	return fmt.Sprintf("OutcomeKind(%d)", int(k))
}

// Outcome is the end of one run of a task.
type Outcome struct {
	// Lease is the claim that ends.
	Lease Lease
	// Kind says how it ends. Required.
	Kind OutcomeKind
	// Message, if not empty, is stored as the task's last error. It is
	// text: see "Text" in the package doc; CleanMessage makes any string
	// fit.
	Message string
	// Delay, for Release only, keeps the task unavailable until Delay after
	// now on the store's clock. Negative is invalid.
	Delay time.Duration
	// KeepAttempt, for Release only, gives back the attempt that the claim
	// counted (a shutdown, a snooze): the attempt count goes down by one.
	KeepAttempt bool
	// Result, for Complete only, is stored with the completed task and
	// read back as TaskRecord.Result: what the run produced, as bytes (an
	// ID, a count, a short summary), at most MaxResultLen long. Nil and
	// empty both mean no result.
	Result []byte
}

// TaskRecord is a stored task as a driver returns it.
type TaskRecord struct {
	// ID is positive and unique within the store; the ID of a stored task
	// is never given to another. (An ID handed out by a transactional
	// create whose transaction rolled back may be given out again.)
	ID int64
	// Queue is the task's queue.
	Queue string
	// Payload is the task's data.
	Payload []byte
	// Priority as created.
	Priority int
	// UniqueKey as created, or empty.
	UniqueKey string
	// State is the task's state.
	State State
	// Attempt counts the claims the task has used up.
	Attempt int
	// MaxAttempts as created.
	MaxAttempts int
	// LastError is the text of the last error recorded, or empty.
	LastError string
	// CreatedAt is when the task was created, on the store's clock.
	CreatedAt time.Time
	// RunAt is when the task is or was available from. A claim does not
	// change it: a running task's RunAt is the one it was claimed from,
	// which places it in the claim order once its lease runs out.
	RunAt time.Time
	// LeaseExpiresAt is when the current lease runs out; zero unless
	// running.
	LeaseExpiresAt time.Time
	// FinalizedAt is when the task reached its final state; zero unless
	// final.
	FinalizedAt time.Time
	// Result is what the completing run stored with Outcome.Result; nil
	// when it stored none (and for every task that is not completed).
	Result []byte
}

// ListParams says which tasks Admin.List returns.
type ListParams struct {
	// Queue to list. Required.
	Queue string
	// States to include; empty means all.
	States []State
	// AfterID returns only tasks with a greater ID (a cursor); zero starts
	// at the beginning.
	AfterID int64
	// Limit is the most tasks returned. Zero means 100; negative is
	// invalid.
	Limit int
}

// PurgeParams says which final tasks Admin.Purge deletes.
type PurgeParams struct {
	// Queue to purge. Required.
	Queue string
	// OlderThan: only tasks finalised at least this long ago. Zero means
	// every final task; negative is invalid.
	OlderThan time.Duration
	// Limit is the most tasks deleted in one call. Zero means 1000;
	// negative is invalid.
	Limit int
}

// Defaults for zero fields of the params structs.
const (
	// DefaultListLimit is used when ListParams.Limit is zero.
	DefaultListLimit = 100
	// DefaultPurgeLimit is used when PurgeParams.Limit is zero.
	DefaultPurgeLimit = 1000
)

// LeaseExpiredMessage is the last error recorded on a task that a claim
// fails because its last lease ran out.
const LeaseExpiredMessage = "lease expired"

// Slot is one slot of a periodic schedule, to be created as a task by
// Scheduler.CreateSlot.
type Slot struct {
	// Name names the schedule within Task.Queue. It is text (see "Text" in
	// the package doc), not empty, at most MaxUniqueKeyLen bytes.
	Name string
	// At is the slot's time, as the schedule computed it from its own
	// rule (not from any clock): every process running the schedule
	// computes the same At for the same slot. Stores keep it to the
	// microsecond; it must not be zero.
	At time.Time
	// Task is the task the slot becomes.
	Task NewTask
	// Expect, if set, makes the call a compare-and-set on the schedule's
	// latest slot: the slot is taken only if that is exactly Latest (a
	// zero Latest: the schedule has taken no slot yet), and refused
	// otherwise, with the schedule's latest slot. A caller that follows
	// a schedule slot by slot, each time from the latest it saw, thus
	// never takes a slot while an earlier one is still untaken, and of
	// callers that start a schedule afresh at once only one does.
	Expect bool
	// Latest is the latest slot the caller expects, with Expect; it is
	// earlier than At. Without Expect it must be zero.
	Latest time.Time
}

// SlotResult is the result of Scheduler.CreateSlot.
type SlotResult struct {
	// Created reports whether this call created the slot's task.
	Created bool
	// ID is the created task's ID; with Err == ErrDuplicate, the ID of the
	// task holding Task.UniqueKey; otherwise zero.
	ID int64
	// Latest is the schedule's latest slot once the call is done: At when
	// this call took the slot; otherwise the slot taken before (later
	// than or equal to At, or, with Slot.Expect, any other than
	// Slot.Latest), or zero if the schedule has taken none.
	Latest time.Time
	// Err is nil or ErrDuplicate: the slot was taken (Latest is At) but
	// its task was not created, since a pending or running task of the
	// queue holds Task.UniqueKey.
	Err error
}
