// Package gosk runs background tasks of your own Go types over a storage
// backend you already have, or none at all.
//
// A [Queue] is the typed handle on one named queue of a [driver.Driver]:
// it encodes values of type T with a [Codec] (JSON by default), creates
// tasks one at a time or in batches, in the store or inside the caller's
// own transaction, and reads them back as [Task] values with their state, attempt count,
// last error and timestamps. Package worker runs handlers over a Queue;
// the drivers under drivers/ store the tasks.
//
//	drv := memory.New(nil)
//	q, err := gosk.NewQueue[Email](drv, "emails", nil)
//	id, err := q.Create(ctx, Email{To: "ada@example.com"}, &gosk.CreateOptions{Delay: time.Minute})
//	w, err := worker.New(q, func(ctx context.Context, t *gosk.Task[Email]) error {
//		return send(ctx, t.Payload)
//	}, &worker.Config{Concurrency: 16})
//	err = w.Run(ctx)
//
// # The lifecycle
//
// A task is created pending, claimed by a worker (running, under a lease
// the worker keeps alive with pings) and finalised as completed, cancelled
// or failed, or released back to pending for a retry. A task whose worker
// disappears becomes claimable again once its lease runs out, so a task
// runs at least once and possibly more than once: handlers should be
// idempotent. Package driver describes the contract in full.
//
// # Creating tasks
//
// Two methods create: [Queue.Create] stores one task, [Queue.CreateMany]
// stores a batch of [Item] values (each a payload and its own options) in
// one driver call, which is the port's own shape; [Items] makes the batch
// when every task has the same options. Creating inside the caller's
// transaction is not a second set of methods but a choice of where the
// same two store: [Queue.In] returns the queue bound to a [driver.Creator],
// which every shipped adapter hands out for its store's transaction with
// a method named Tx:
//
//	tx, err := db.BeginTx(ctx, nil)
//	...
//	id, err := q.In(drv.Tx(tx)).Create(ctx, Receipt{OrderID: 42}, nil)
//	...
//	err = tx.Commit() // the task exists if, and only if, this commits
//
// So one task or many, in the store or in a transaction, is two verbs and
// one binding, not six methods (a single-task form of each batch call, and
// a Tx twin of each), and every path goes through CreateMany, so they all
// check and report alike.
//
// # Codecs
//
// A Queue encodes payloads with [JSONCodec] unless [QueueOptions.Codec]
// says otherwise. For a Queue[[]byte] whose payloads are bytes already
// (protobuf, MessagePack, a compressed blob), use [BytesCodec]: it stores
// them as they are, where JSON would store base64 text a third larger.
// Any other format is a [Codec] of your own.
//
// # Options
//
// [CreateOptions] sets a task's priority (used by the [Priority] rule), its
// delay or absolute run-at time, its maximum number of attempts and an
// optional unique key. A nil *CreateOptions means defaults. Options are
// checked before anything is stored; a bad one is refused with an error
// wrapping [ErrInvalid] that names the field.
//
// # Errors
//
// Every sentinel error a user needs is reachable from this package, so one
// import serves for errors.Is: the driver's sentinels ([ErrTaskNotFound],
// [ErrDuplicate], [ErrLeaseLost], ...) are re-exported here, and
// [ErrCancelTask], [Snooze] and [ErrUnsupported] are defined here.
// A handler returns [ErrCancelTask] (wrapped or not) to cancel its task,
// and the error of [Snooze] to run it again later without using up an
// attempt.
//
// # Capabilities
//
// The admin helpers of a Queue ([Queue.List], [Queue.Count], [Queue.Retry],
// [Queue.Cancel], [Queue.Purge]) need a driver that implements
// [driver.Admin]; with any other driver they return [ErrUnsupported].
// Transactional create ([Queue.In]) takes a [driver.Creator] that the
// adapter binds to the caller's transaction.
//
// # Other runtimes
//
// Package worker is one runtime over a Queue, built from its exported API
// only: [Queue.Driver] for the port calls (claim, ping, finish) and
// [Queue.Decode] to turn each claimed record into a [Task] with the
// queue's codec. Both are exported on purpose, as the extension point for
// a runtime of your own (a serverless handler that claims one task per
// invocation, a scheduler that drives claims itself), which then keeps
// the contract of package driver as package worker does.
//
// # Time
//
// Durations (a delay, a lease) are measured on the store's clock.
// [CreateOptions.RunAt] is an absolute time and is turned into a delay with
// the process clock ([QueueOptions.Clock]) when the task is created; on a
// shared store whose clock differs from this process's, the task runs at
// RunAt as this process sees it, give or take the skew.
//
// # Concurrency
//
// A Queue is safe for concurrent use by many goroutines.
package gosk
