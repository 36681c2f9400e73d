// Package sqlite is a gosk driver on an SQLite database: durable background
// tasks for an application that ships as one binary and one file, with no
// server and no cgo. It uses modernc.org/sqlite, a pure-Go SQLite, so
// CGO_ENABLED=0 builds work.
//
// Its package name is the store's; a program that also imports
// modernc.org/sqlite takes an alias for one of them:
//
//	import gosksqlite "github.com/gosk/gosk/drivers/sqlite"
//
//	drv, err := gosksqlite.Open(ctx, "/var/lib/app/tasks.db", nil)
//
// Open opens (and creates) a file, or ":memory:"; New takes a *sql.DB that
// the application already has. Both migrate the schema before they return.
//
// # Layout
//
// One table, <prefix>tasks (prefix "gosk_" by default, see
// [Options.TablePrefix]), holds every task, one row each, with its state,
// attempt count, lease token and times. A second table, <prefix>meta,
// records that the file holds gosk's layout and at which schema version.
// <prefix>origins records each task that Import copied from another
// store (its queue, the store and its ID there) and the task it became;
// purges leave it alone. <prefix>payloads holds the payloads of 1 KiB or
// more, whose tasks' rows hold an empty one: SQLite rewrites a whole row,
// overflow pages and all, whenever one of its columns changes, and a
// task's row changes at every claim and finish, so a 10 KB payload in the
// row was written again each time (a worker processed about a quarter as
// many such tasks a second as it does now). A trigger deletes a payload
// with its task. Tasks stored before schema version 4 keep their payloads
// in their rows.
// Partial indexes serve each access path: pending tasks by (run-at, ID) for
// the Fifo and Lifo rules and by (priority, run-at, ID) for Priority, running
// tasks by lease expiry, final tasks by finalisation time for purges, and
// unique keys of pending and running tasks only, so that a key is free
// again once its task is final. IDs come from AUTOINCREMENT: a committed
// task's ID is never given to another, even after a purge. The SQL lives
// in the queries/ and migrations/ folders of this package, embedded in the
// binary, and each query is prepared once on the writer's connection.
//
// Migrations are numbered and run in one IMMEDIATE transaction by Open and
// New, so two processes opening a new file at once migrate it once. A file
// that holds the driver's table names without its meta table, or that is
// not an SQLite database, gives [ErrNotGosk]; one migrated by a newer gosk
// gives [ErrSchemaTooNew]. Neither changes the file.
//
// # Clock
//
// Run-at, lease expiry and all timestamps are read from [Options.Clock]
// (time.Now by default) and stored as Unix nanoseconds. Processes that
// share a file share a machine, so they share a clock.
//
// # Durability
//
// Open puts the file in WAL mode and, by default, syncs the log at every
// commit ([SyncFull]): a call that returned has its effect on disk, and a
// crash or a killed process in the middle of a call leaves the file as it
// was before that call, never half-written. [SyncNormal] skips the sync at
// each commit: still safe against a process crash, but a power cut may lose
// the last commits. Each call's batch of creates, claims, pings, outcomes,
// retries, cancels or purges is applied all or nothing, and the call
// returns once it is committed.
//
// # Concurrency
//
// Readers (Get, List, Count) run in parallel on the pool's connections.
// Writers are serialised, and grouped: a write call queues, and whichever
// caller takes the writer's turn (a channel, so waiting honours contexts)
// runs every queued call in one BEGIN IMMEDIATE transaction, each call in
// a savepoint of its own (one that fails is undone alone), with one commit
// and so one sync for all of them. Sixty-four goroutines creating one task
// each then share commits instead of queueing for one each. A caller that
// takes the turn while fewer calls are queued than there were at the last
// commit waits for the others, at most half that commit's time (and 1ms),
// since the callers just answered are often about to write again; a
// caller writing alone never waits. Writes run on the writer's
// connection, which the driver keeps, with its prepared statements, for
// its lifetime. So many worker goroutines never meet SQLITE_BUSY. A call's context can end its wait for its turn (the call
// then returns the context's error and changes nothing), but not its
// statements once they run, since SQLite answers an interrupted write by
// rolling back the whole transaction, other calls of the group included.
//
// Between processes, or with transactions of the application's own on the
// same file, SQLite's busy timeout ([Options.BusyTimeout], 10s by default)
// makes BEGIN wait for the lock; since SQLite's lock is not fair, and a
// process writing without pause can starve another's busy handler, a BEGIN
// that still finds the file busy is tried again for as long as a caller
// waits for it. A statement after BEGIN never waits: the transaction
// already holds the lock.
//
// An in-memory database (":memory:") is limited to one connection, since
// each connection would otherwise see a database of its own; everything
// then runs one call at a time.
//
// # Limits
//
// Create refuses a payload longer than Options.MaxPayloadLen with
// driver.ErrInvalid naming the limit, before the store is touched; the
// default is driver.DefaultMaxPayloadLen (4 MiB) and the highest allowed
// setting 512 MiB (driver.MaxPayloadLimit), within SQLite's default SQLITE_MAX_LENGTH of 1e9 bytes per row.
//
// # Capabilities
//
//   - notify: [Driver.Subscribe] wakes a subscription when this driver
//     creates, releases or retries a task with no delay. Commits by other
//     connections to the file (another process, another handle, the
//     application's own transactions, including those of Tx) are seen
//     by a watch of PRAGMA data_version every [Options.WatchInterval]
//     (100ms by default), which wakes every subscriber, since it cannot
//     tell the queue. Workers poll as well, so correctness never depends
//     on either.
//   - admin: the whole of driver.Admin (List, Count, Retry, Cancel, Purge).
//   - schedules: [Driver.CreateSlot] (driver.Scheduler) keeps each
//     schedule's latest slot in its own table and moves it in the write
//     transaction that creates the slot's task.
//   - transactional create: [Driver.Tx] binds a driver.Creator to the
//     application's own *sql.Tx; its tasks appear if and only if that
//     transaction commits.
//   - import: [Driver.Import] (driver.Importer) stores tasks copied from
//     another store with their state and history, and records each origin
//     task in the origins table in the same write transaction, so that it
//     is stored once however often, and by however many processes, a move
//     is run.
//
// # Caveats
//
//   - Times are kept as int64 Unix nanoseconds, which end on 11 April
//     2262: a run-at or lease end later than that (a delay or lease of
//     more than about 235 years, such as math.MaxInt64 taken for "never")
//     is kept as that instant, and reads back as it. The task is still
//     never claimable before it; PostgreSQL, Redis and the memory driver
//     keep the instant itself.
//   - One writer at a time is SQLite's design: throughput is bounded by
//     one core and, with SyncFull, by the disk's sync latency. The worker
//     batches claims, pings and outcomes to make few, larger transactions.
//   - A handle passed to New must have a busy timeout and, for a file, WAL
//     mode; New checks one connection of the pool. Open the handle with
//     "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)".
//   - The application's transaction passed to Tx holds the file's write
//     lock from its first write until it ends, and every write of the
//     driver waits for it: keep it short, and never call the driver's write
//     methods from the goroutine that holds it open (they would wait for
//     it until their context is done). On an in-memory database, whose one
//     connection the transaction holds, that goes for reads as well, and
//     drivertest's transactional-create rules are exempted there.
//   - SQLite's AUTOINCREMENT is transactional: the ID that a create inside
//     a rolled-back transaction of the caller's got (see Tx) may be
//     given to the next task created. Do not keep such IDs.
//   - The driver keeps one connection of the pool for its writes (none
//     when the pool is limited to one connection).
//   - WAL mode needs a local file system that supports shared memory;
//     network file systems do not.
package sqlite
