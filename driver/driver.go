// Package driver is the port between gosk and a storage backend.
//
// A Driver stores tasks as bytes and moves them through the task lifecycle.
// Everything a user touches (typed payloads, options, retries and back-off,
// batching, logging, shutdown) lives in packages gosk and worker; a driver
// translates the contract below into its store and nothing else. Five
// adapters ship with gosk (drivers/memory, drivers/sqlite, drivers/bbolt,
// drivers/postgres, drivers/redis); package drivertest proves that any
// driver, shipped or not, keeps the contract.
//
// # The lifecycle
//
// A task is in one of five states. It is created pending; a pending task
// whose run-at lies in the future is not yet available. Claim leases
// available tasks: each becomes running, its attempt count goes up by one,
// it gets a fresh lease token and its lease runs until now plus the lease
// length. A running task is finalised as completed, cancelled or failed, or
// released back to pending (optionally not before some delay). A running
// task whose lease runs out becomes claimable again, in its place in the
// claim order as if it were pending (see [Driver.Claim]); if that happens
// on its last allowed attempt, the next claim of its queue moves it to
// failed with the error text "lease expired" instead of handing it out.
//
//	create ──> pending ──claim──> running ──complete──> completed
//	              ^                  │ ├──cancel────> cancelled
//	              │                  │ └──fail──────> failed
//	              └──release/retry───┘   (lease runs out: claimable again)
//
// # Fencing
//
// Every call that acts on a running task names it by a [Lease]: the task ID
// and the token of the claim that took it. The token changes whenever the
// lease is taken from its holder: by a new claim, by an outside cancel
// ([Admin.Cancel], of a running task and of a pending one alike, so that a
// lease that had released the task sees ErrLeaseLost rather than
// ErrTaskConflict) and by a claim that fails a task whose last lease ran
// out. A call whose lease no longer holds changes nothing. The result of
// acting on a lease is decided in this order:
//
//   - no task with that ID: [ErrTaskNotFound];
//   - the token is not the task's current token (the lease was taken
//     away): [ErrLeaseLost];
//   - the task is not running, so this lease already ended its run (it
//     finalised the task, or released it): an outcome gets
//     [ErrTaskConflict], a ping [ErrLeaseLost], since the lease no longer
//     holds;
//   - otherwise the task is running under this lease and the call applies.
//
// So an outcome repeated by the lease that already stored one (a retry
// whose first answer was lost) gets ErrTaskConflict whatever the two
// outcomes were, and a caller that retries may take ErrTaskConflict as "my
// earlier outcome was stored"; to an outcome, ErrLeaseLost always means the
// task was taken from the lease before the call, by someone else.
//
// A lease whose time has run out still holds until another claim takes the
// task: a slow worker that completes before anyone reclaims its task is not
// turned away.
//
// A task's tokens only go up: each token a claim hands out for a task is
// greater than every token handed out for that task before, across
// releases, lapsed leases, outside cancels and retries (a per-task counter
// that every change of holder raises does it; so does one counter for the
// whole store). That lets a handler fence its own writes with the token of
// its claim: a row it writes carries the token, and a write whose token is
// not greater than the row's changes nothing, so a worker whose lease was
// taken cannot overwrite what the task's new holder wrote. A store must
// never hand a token out twice, even after a crash (the PostgreSQL adapter's
// package doc says why it needs synchronous commits).
//
// # Attempts
//
// Attempts count claims. A release with [Outcome.KeepAttempt] (a worker
// shutting down, a handler asking to snooze) gives the attempt back; a lease
// that runs out, an error or a panic uses it up.
//
// # Time
//
// Shared stores (PostgreSQL, Redis) use their own clock for run-at, lease
// expiry and timestamps, so workers on machines with skewed clocks agree.
// Embedded stores use the process clock, which their constructors let the
// caller replace. Durations in this package are therefore relative
// ([NewTask.Delay], [Outcome.Delay], [ClaimParams.Lease]) and are added to
// the store's own now, exactly: a lease ends at now plus its length, a
// ping's extension at the ping's now plus the extension, a delayed task's
// run-at is its creation time plus the delay and a release delay counts
// from the release. A task is available from its run-at on, and a lease has
// run out from its end on, that instant included. Stores keep times to a
// millisecond or finer.
//
// # Text
//
// Payloads are bytes and are stored as given, up to the driver's payload
// limit ([DefaultMaxPayloadLen] unless the adapter's options set another,
// at most [MaxPayloadLimit]); a longer one is refused with [ErrInvalid],
// naming the limit, before the store is touched, for the whole batch
// ([ValidateNewTasksMax]); so is a batch whose payloads total more than
// [MaxBatchPayloadLen] (or the payload limit, if higher), a request no
// store takes in one go. The two free-form text
// fields, [NewTask.UniqueKey] and [Outcome.Message], must be valid UTF-8
// without NUL bytes, at most [MaxUniqueKeyLen] and [MaxMessageLen] bytes
// long: that is what every store can hold byte for byte (a PostgreSQL text
// column refuses NUL and invalid UTF-8; other stores would keep them, or
// replace them, each its own way). Anything else is refused with
// [ErrInvalid] before the store is touched, for the whole batch, by
// [ValidateNewTasks] and [ValidateOutcomes]; no store error about an
// encoding ever reaches the caller. Every valid text, control characters
// other than NUL included, is stored and read back exactly, and unique
// keys are compared byte for byte (no case folding, normalisation or
// collation). Package worker passes every handler error text through
// [CleanMessage], which makes any string fit. Queue names are narrower
// still: see [ValidateQueueName].
//
// # Batches
//
// Every method that moves tasks takes a slice and returns results that line
// up with it item by item, so that one round trip serves a whole batch on
// every backend. A per-item error ([ErrDuplicate], [ErrLeaseLost], ...)
// sits in the item's result; the method's own error is for failures of the
// whole call ([ErrInvalid], [ErrClosed], a broken connection, a cancelled
// context), in which case nothing in the batch was applied. A batch that
// names the same task twice is invalid. A per-item error that names a task
// wraps one of the sentinels, so that errors.Is finds it; the shipped
// adapters give a [*TaskError] that also says which task and why, and a
// third-party driver may give the bare sentinel.
//
// A call checks, in this order: that the driver is open ([ErrClosed]
// whatever the input), then its input ([ErrInvalid], before the store is
// touched), then the store. Callers may pass leases, outcomes
// and IDs in any order, and the results still line up with the input; a
// store that locks rows takes its locks in one order (task ID), so that
// two calls over shared tasks never deadlock whatever their orders.
//
// # Capabilities
//
// Optional capabilities are small interfaces, discovered by type
// assertion: [Notifier] wakes waiting workers, [Admin] lists, counts,
// retries, cancels, purges, and pauses and resumes queues, [DueReporter]
// tells when many queues next have work, [Scheduler] turns each slot of a
// periodic schedule into one task, with no leader, [QueueLister] names
// the queues a store holds, [Importer] stores tasks copied from another
// store, once each. Every shipped driver
// has all of them; package drivertest tests each one a driver has.
//
// Transactional create cannot be an interface of this package, since the
// transaction's type belongs to the store. Every shipped adapter offers it
// in one way, which a third-party adapter should follow: a method
//
//	func (d *Driver) Tx(tx StoreTx) driver.Creator
//
// where StoreTx is the store's own transaction type (*sql.Tx for SQLite,
// *bbolt.Tx, pgx.Tx, a go-redis Pipeliner from TxPipeline, and for the
// memory driver the *memory.Tx of its Begin). The returned [Creator]
// stores tasks that appear when, and only if, tx commits; it never
// commits or rolls back, and is good for as long as tx is open. A store
// reached through a second client library names a method for each more
// transaction type in the same shape (the PostgreSQL adapter's SQLTx takes
// a database/sql *sql.Tx). The typed API takes the Creator as it is:
// gosk's Queue.In(drv.Tx(tx)).
//
// # Concurrency
//
// Every method of a Driver, and of its capabilities, is safe for concurrent
// use by many goroutines and, for stores shared between processes, by many
// processes.
package driver

import (
	"context"
	"time"
)

// Driver is the port every storage adapter implements.
type Driver interface {
	// Create stores new tasks in one atomic step (per queue, on a store
	// that cannot span queues in one step, such as Redis Cluster) and
	// returns one result per task, in order. Where the step is per queue
	// and some queues' steps fail while others apply, Create returns no
	// error and each task of a failed queue has that failure as its
	// result's Err; the call's own error still means nothing was stored.
	// A task whose queue and unique
	// key belong to a pending or running task (stored before, or earlier in
	// the same batch) is not stored: its result holds that task's ID and
	// ErrDuplicate. Invalid input returns ErrInvalid and stores nothing. An
	// empty batch returns no results and no error.
	Create(ctx context.Context, tasks []NewTask) ([]CreateResult, error)

	// Claim leases up to p.Limit available tasks of p.Queue, in p.Rule
	// order, in one atomic step, and returns them in that order (possibly
	// none, with a nil error).
	//
	// A running task whose lease has run out is available again and takes
	// its place in the order exactly as an available pending task with the
	// same priority, run-at and ID would. Its run-at is the one it was
	// available from when it was claimed (a claim does not change run-at),
	// so a lapsed task goes neither first nor last: under Priority it comes
	// after higher-priority pending tasks and before lower ones; under
	// Fifo before pending tasks that became available after it.
	//
	// The same step moves to failed (last error LeaseExpiredMessage, lease
	// token taken) every task of p.Queue whose lease ran out on its last
	// attempt, wherever it would stand in the order and whatever p.Limit;
	// those do not count against p.Limit. A pending task is handed out
	// whatever its attempt count: a caller that releases a task on its last
	// attempt sees it claimed again (package worker fails it instead). Two
	// claims never return the same task while its lease holds.
	Claim(ctx context.Context, p ClaimParams) ([]ClaimedTask, error)

	// Ping extends each lease that still holds to now plus extend (which
	// may be sooner than the lease's end was) and returns one error per
	// lease: nil, ErrLeaseLost or ErrTaskNotFound.
	Ping(ctx context.Context, leases []Lease, extend time.Duration) ([]error, error)

	// Finish applies outcomes, each fenced by its lease, and returns one
	// error per outcome: nil, ErrLeaseLost, ErrTaskConflict or
	// ErrTaskNotFound, decided as the package doc describes. A Complete
	// outcome's Result is stored in the same write as the completion; an
	// outcome that is refused stores nothing of it.
	Finish(ctx context.Context, outcomes []Outcome) ([]error, error)

	// Get returns a task's record, or ErrTaskNotFound. An ID that is not
	// positive is invalid (ErrInvalid).
	Get(ctx context.Context, id int64) (TaskRecord, error)

	// Close releases the driver's resources and stops its goroutines. Later
	// calls on the driver return ErrClosed. Close is safe to call more than
	// once; a driver built on a pool or handle the caller passed in leaves
	// that pool or handle open.
	Close() error
}

// Creator creates tasks. A Driver is a Creator; adapters with transactions
// also hand out Creators bound to one of the caller's transactions, whose
// tasks appear when, and only if, that transaction commits. A store that
// only answers at commit (Redis MULTI/EXEC) may decide unique keys when
// Create is called; its adapter documents what a key taken between Create
// and commit does.
type Creator interface {
	// Create behaves as Driver.Create.
	Create(ctx context.Context, tasks []NewTask) ([]CreateResult, error)
}

// Notifier is the capability to wake workers when a task may have become
// available, so that pick-up latency does not depend on the poll interval.
// Wake-ups are hints: a driver may drop or merge them, and workers poll as
// well.
type Notifier interface {
	// Subscribe starts listening for tasks that become available in queue:
	// created with no delay, released with no delay, or retried. The
	// subscription lasts until Stop is called, ctx is done, or the driver
	// is closed, whichever comes first. When ctx is done the driver ends
	// the subscription by itself: a caller that cancels ctx need not call
	// Stop, and nothing of the subscription waits for Close.
	Subscribe(ctx context.Context, queue string) (*Subscription, error)
}

// Subscription is a live Notifier subscription.
type Subscription struct {
	// Wake receives a value when a task may have become available. Several
	// events may be merged into one value; the channel is never closed.
	Wake <-chan struct{}
	// Stop ends the subscription and releases what it holds. It is safe to
	// call more than once and from any goroutine.
	Stop func()
	// Done is closed once the subscription has ended and released what it
	// held (a goroutine, a connection, its place among the driver's
	// subscribers): by the time Stop returns, soon after the context given
	// to Subscribe is done, and by the time the driver's Close returns.
	// Required: package drivertest waits on it to prove that a subscription
	// ends with its context.
	Done <-chan struct{}
}

// Admin is the capability to inspect and administer tasks from outside a
// worker.
type Admin interface {
	// List returns the tasks of p.Queue in the given states (all states if
	// empty), in ascending ID order, after p.AfterID, at most p.Limit.
	List(ctx context.Context, p ListParams) ([]TaskRecord, error)

	// Count returns how many tasks of queue are in each state. Every state
	// is present in the map, zero counts included.
	Count(ctx context.Context, queue string) (map[State]int64, error)

	// Retry moves failed or cancelled tasks back to pending, available at
	// once, with their attempt count reset to zero and their last error
	// kept. It returns one error per ID: nil, ErrTaskNotFound,
	// ErrTaskConflict for a task that is pending, running or completed, or
	// ErrDuplicate when the task's unique key is now held by another
	// pending or running task (the task then stays as it was).
	Retry(ctx context.Context, ids []int64) ([]error, error)

	// Cancel moves pending or running tasks to cancelled. A running task's
	// lease is taken away: its worker learns at its next ping or finish
	// (ErrLeaseLost). It returns one error per ID: nil, ErrTaskNotFound, or
	// ErrTaskConflict for a task that is already final.
	Cancel(ctx context.Context, ids []int64) ([]error, error)

	// Purge deletes up to p.Limit final tasks of p.Queue that were
	// finalised at least p.OlderThan ago, oldest finalisation first, and
	// returns how many it deleted. Callers purge in bounded batches by
	// calling it until it returns fewer than p.Limit.
	Purge(ctx context.Context, p PurgeParams) (int, error)

	// Pause pauses each queue in queues, durably: until it is resumed,
	// every Claim of a paused queue returns no task and changes nothing
	// (no pending task, no task whose lease ran out, and no failing of a
	// task whose last lease ran out). Everything else goes on: Create
	// stores tasks in it, and its running tasks ping and finish as usual.
	// Pausing a paused queue changes nothing. The pause is kept by the
	// store, so every driver on the same store sees it, across restarts.
	// The names are checked by ValidateQueueNames (ErrInvalid); an empty
	// list changes nothing.
	Pause(ctx context.Context, queues []string) error

	// Resume ends the pause of each queue in queues, and wakes the
	// subscribers of each (see Notifier) so that workers pick its tasks
	// up at once. Resuming a queue that is not paused changes nothing.
	// Names are checked as for Pause.
	Resume(ctx context.Context, queues []string) error

	// PausedQueues returns the names of the paused queues, in ascending
	// byte order; an empty slice when none is paused.
	PausedQueues(ctx context.Context) ([]string, error)
}

// Scheduler is the capability to create the tasks of periodic schedules
// with no leader: every process may run the same schedule, and each slot
// still becomes at most one task.
type Scheduler interface {
	// CreateSlot takes the slot and creates its task, in one atomic step,
	// if s.At is later than the latest slot of the schedule (s.Task.Queue,
	// s.Name) taken before (and, with s.Expect, that latest slot is
	// s.Latest); otherwise it changes nothing and returns Created false
	// with the latest slot. A schedule's slots are thus
	// taken in increasing order, each at most once, whatever the
	// processes, their clocks or their restarts; a slot earlier than one
	// already taken is never taken later. Taking a slot whose task's
	// unique key is held takes the slot without creating a task (Err
	// ErrDuplicate, ID of the holder). The record of a schedule's latest
	// slot lasts as long as the store, whatever happens to its tasks.
	// Invalid input (see ValidateSlot) returns ErrInvalid and changes
	// nothing.
	CreateSlot(ctx context.Context, s Slot) (SlotResult, error)
}

// DueReporter is the capability to tell, in one call for many queues,
// when each next has a task to claim, so that an idle process serving
// many queues asks its store once per poll rather than once per queue.
type DueReporter interface {
	// Due returns, for each queue in order, how long from the store's now
	// until Claim would first hand out one of its tasks: zero if it would
	// now (a pending task whose run-at has come, or a running task whose
	// lease ran out), the time until the earliest of those otherwise, and
	// NotDue if the queue has no pending or running task (or is paused).
	// It changes nothing. The names are checked by ValidateQueueNames
	// (ErrInvalid); an empty list returns an empty result.
	Due(ctx context.Context, queues []string) ([]time.Duration, error)
}

// QueueLister is the capability to name the queues a store holds, so that
// an operator's tool (the gosk command, a dashboard) can show every queue
// without being told their names.
type QueueLister interface {
	// Queues returns the names of the queues that have at least one task
	// (in any state) or are paused, in ascending byte order, each once; an
	// empty slice when there is none. A queue whose every task was purged
	// and that is not paused is not listed. It may read the whole store
	// (an index scan, a key scan): it is meant for tools, not for hot
	// paths.
	Queues(ctx context.Context) ([]string, error)
}

// Importer is the capability to store tasks copied from another store,
// each with the state and the history it had there, and each at most once:
// what lets the gosk command move a live queue from one store to another,
// resumably.
type Importer interface {
	// Import stores tasks as Create does (one atomic step, per queue on a
	// store that cannot span queues), each with its origin, and returns
	// one result per task, in order. A stored task has a new ID and
	// otherwise the record it was given: state, attempt, last error,
	// created-at, run-at, finalised-at and result as they were (a
	// pending task takes its place in the claim order by its run-at; a
	// final one is purged by its finalised-at). A task whose origin
	// (Origin and Task.ID) was imported into its queue before, by any
	// driver on the store, is not stored again: its result holds the ID it was
	// imported as and Imported false (into another queue, it is a task
	// of its own). That record of an origin lasts as
	// long as the store, whatever happens to the task. A pending task
	// whose queue and unique key belong to a pending or running task
	// (stored before, or earlier in the batch) is not stored and its
	// origin is not recorded: its result holds that task's ID and
	// ErrDuplicate. Invalid input (see ValidateImports) returns
	// ErrInvalid and stores nothing. Subscribers of a queue that gets a
	// pending task whose run-at has come are woken, as Notifier says.
	Import(ctx context.Context, tasks []ImportTask) ([]ImportResult, error)
}

// NotDue is what DueReporter.Due reports for a queue with nothing to
// claim, now or later.
const NotDue time.Duration = -1
