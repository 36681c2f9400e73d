// Package memory is a gosk driver that keeps tasks in the process's memory.
//
// It keeps the whole contract of package driver and has every optional
// capability, so it is the reference adapter that drivertest is checked
// against, and the driver to use in unit tests of code that creates or
// handles tasks. Nothing survives the process: for durable tasks on one
// machine use drivers/sqlite or drivers/bbolt.
//
// # Layout
//
// Tasks live in pages of consecutive IDs, found by arithmetic: IDs are
// handed out in order, and a page goes once its tasks are purged. Each
// queue keeps its pending tasks in two sorted lists (in chunks), one by
// (run-at, ID) for the Fifo and Lifo rules and one by (priority
// descending, run-at, ID) for the Priority rule, so a claim reads the head
// of a list instead of every task. Running tasks are kept in a set per
// queue, scanned by a claim for leases that ran out only once the earliest
// lease may have; its size is bounded by the number of tasks held by
// workers. Final tasks
// are in neither, and cost a claim nothing: they are in a third sorted
// list, by (finalised-at, ID), from whose head Purge deletes, so a purge
// costs the tasks it deletes rather than every task of the queue.
//
// # Clock
//
// The driver reads the time from [Options.Clock], time.Now by default, so
// tests can drive lease expiry and run-at without waiting.
//
// # Concurrency
//
// One mutex guards the store; every call holds it for the duration of its
// batch, which makes each call atomic.
//
// # Limits
//
// Create refuses a payload longer than Options.MaxPayloadLen with
// driver.ErrInvalid naming the limit, before the store is touched; the
// default is driver.DefaultMaxPayloadLen (4 MiB) and the highest allowed
// setting driver.MaxPayloadLimit (512 MiB). As New returns no error, a
// setting out of range makes every Create fail with ErrInvalid naming it.
//
// # Capabilities
//
//   - notify: in-process; Subscribe's channel is signalled when a task is
//     created, released or retried with no delay;
//   - admin: the whole of driver.Admin;
//   - schedules: [Driver.CreateSlot] (driver.Scheduler);
//   - transactional create: [Driver.Begin] starts a [Tx] and [Driver.Tx]
//     binds a driver.Creator to it, whose tasks appear when it commits.
//
// # Caveats
//
// Everything is lost when the process exits. Memory grows with the number
// of stored tasks: purge final tasks (package worker does it for you). A
// page of IDs (8 KiB) stays while any of its tasks is stored, so one task
// kept for ever among many purged keeps its page.
package memory
