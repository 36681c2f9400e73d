// Package postgres is the gosk driver for PostgreSQL, built on pgx v5: the
// store to share when workers on many machines take tasks from one
// database.
//
// Open connects by connection string and owns its pool; New takes a
// *pgxpool.Pool the application already has and leaves it open on Close.
// Both migrate the schema before they return:
//
//	drv, err := postgres.Open(ctx, "postgres://app@db:5432/app", &postgres.Options{MaxConns: 20})
//	...
//	q, err := gosk.NewQueue[Email](drv, "emails", nil)
//
// Errors never quote the connection string, so a password in it is not
// printed; connection errors name the user and database only.
//
// # Layout
//
// Everything lives in one schema, "gosk" unless [Options.Schema] says
// otherwise; the name is ASCII letters, digits, _ and - (anything else is
// refused at Open and New before anything runs) and is always quoted as an
// identifier, never spliced in raw. The table gosk_tasks holds one row per task: queue, state (as text),
// payload (bytea), priority, unique key, attempt count, max attempts, lease
// token, last error, and the times created, run-at, lease expiry and
// finalised. IDs come from the table's identity sequence and are never
// reused. The table gosk_schema_version records the migrations that ran.
//
// Indexes serve each access path and keep finished tasks out of the hot
// ones: pending tasks by (queue, run-at, ID) for Fifo (forward) and Lifo
// (backward) and by (queue, priority, run-at, ID) for Priority, both
// partial over pending tasks only; running tasks by (queue, lease expiry),
// so that a claim finds lapsed leases without reading live ones; all tasks
// by (queue, state, ID) for counts and lists; final tasks by (queue,
// finalised-at) for purges; and a partial unique index over (queue, unique
// key) of pending and running tasks, which is how a unique key is held only
// while its task has not ended.
//
// Migrations are numbered files (migrations/NNN_name.sql, embedded) that
// Open and New apply in one transaction holding an advisory lock keyed by
// the schema name, so processes that start together migrate exactly once.
// A schema at a newer version than the code gives [ErrSchemaTooNew]; a
// schema that holds a gosk_tasks table without the version table gives
// [ErrForeignSchema]. Neither changes anything. The queries live in
// queries/*.sql, embedded as well.
//
// Unique keys and last errors are text columns. The port lets through only
// valid UTF-8 without NUL, which a UTF8 database stores byte for byte; a
// database in another encoding could not hold every such text (an emoji in
// a LATIN1 database), so Open and New refuse it with [ErrEncoding]
// (SQL_ASCII, which stores bytes unchecked, is accepted).
//
// Every batch is one statement: Create inserts the whole batch from
// arrays (unnest), Claim locks, fails and leases in one statement, Ping,
// Finish, Retry and Cancel update the whole batch from arrays, and Purge
// deletes a bounded batch.
//
// Concurrent creates share round trips: a Create of up to 64 tasks that
// arrives while another is in flight waits for it and then goes with every
// call that queued meanwhile, as one batch in one statement (one commit).
// A lone call goes at once. Each call gets its own results, as if the calls
// had run one after another in the order they queued: a unique key that
// two calls of one group repeat is created for the first, and the second
// gets ErrDuplicate and its ID. Input is checked before a call queues, so
// one call's invalid input fails no other; a call whose context ends while
// it is queued leaves the queue having stored nothing, and once its group
// is sent it gets the group's outcome. Calls with unique keys group apart
// from calls without: a keyed insert may wait for the row lock of a key
// that another transaction holds uncommitted, and then the keyed calls
// queued behind it wait too, while calls without keys go on. Creates
// through Tx and SQLTx never group; they run in the caller's transaction.
//
// # Clock
//
// The database's clock decides: run-at, lease expiry and every timestamp
// are computed from now() inside the statements, so workers on machines
// with skewed clocks agree. Durations travel as microseconds, rounded up.
// now() is the start of the transaction, so tasks created inside a long
// transaction of the application (see Transactions) carry its start time.
//
// # Durability
//
// Each call is one statement in its own transaction (unless it runs in the
// application's), committed with the server's settings: with the default
// synchronous_commit=on, a call that returned is on disk. A connection lost
// in the middle of a call leaves the call applied or not, never half.
//
// Do not set synchronous_commit=off for gosk's connections: a claim lost in
// a server crash would roll its task's lease token back, and the next claim
// would hand the same token out again, so a worker holding the lost claim
// could act on a task that another worker now holds.
//
// # Outages
//
// A call made while the server is down, or whose connection the server
// terminated, fails with an error that package worker retries with
// back-off; the pool reconnects by itself and the notify listener
// reconnects with its own back-off (Options.ReconnectMin, ReconnectMax).
// The fault tests terminate the driver's connections under load and crash
// and restart a server (pg_ctl stop -m immediate) under a running worker:
// every acknowledged create survives and becomes final. Open refuses a
// server that is down; with Options.Lazy it does not contact the server,
// so a worker can start before its database.
//
// # Concurrency
//
// Claims lock candidate rows with FOR UPDATE SKIP LOCKED, so concurrent
// claimers on any number of hosts take different tasks without waiting for
// each other. Every change to a running task is fenced in its statement by
// the lease token (WHERE lease_token = $token AND state = 'running'); a
// statement that loses a race for a row re-reads it before it reports, so
// the fencing order of package driver holds under concurrency. Unique keys
// are enforced by the unique index: concurrent creates with one key store
// one task, and the others get its ID and driver.ErrDuplicate.
//
// # Transactions
//
// [Driver.Tx] binds a Creator to the application's pgx.Tx: tasks appear,
// and workers are notified, when and only if it commits. [Driver.SQLTx]
// does the same for a *sql.Tx of database/sql opened with pgx's stdlib
// driver ("pgx"); other database/sql drivers (lib/pq) cannot pass the
// arrays the batch travels in.
//
// # Notify
//
// Create, Finish (a release without delay) and Retry call pg_notify on the
// schema's channel, "gosk_" and a hash of the schema name, with the queue
// as payload; notifications are sent on commit. The first Subscribe opens
// one dedicated connection (outside the pool, with the pool's connection
// settings) that LISTENs, dispatches to the subscribers of each queue, and
// reconnects by itself with back-off ([Options.ReconnectMin],
// [Options.ReconnectMax]) when it is lost, waking every subscriber after a
// reconnect because notifications may have been missed. Close stops it.
// Notifications are hints: workers poll as well, so nothing is lost if
// they are.
//
// # Limits
//
// Create refuses a payload longer than Options.MaxPayloadLen with
// driver.ErrInvalid naming the limit, before the store is touched; the
// default is driver.DefaultMaxPayloadLen (4 MiB) and the highest allowed
// setting 512 MiB (driver.MaxPayloadLimit); a bytea holds up to 1 GB.
//
// # Capabilities
//
// Driver implements driver.Driver, driver.Notifier, driver.Admin (List,
// Count, Retry, Cancel, Purge), driver.Scheduler (CreateSlot, on the
// gosk_schedules table, one transaction with the slot's task) and
// driver.Importer (Import, one transaction that records each origin task
// in the gosk_import_origins table, which Purge leaves alone), and
// transactional create through Tx and SQLTx. Package drivertest passes
// against a real server.
//
// # Errors
//
// One function translates what pgx returns: no rows becomes
// driver.ErrTaskNotFound, a closed pool driver.ErrClosed, each wrapping the
// cause; context errors are returned as they are; anything else (a lost
// connection, a server error) is wrapped with the prefix "gosk/postgres:".
// After Close every call returns driver.ErrClosed.
//
// # Caveats
//
//   - Behind PgBouncer in transaction mode, LISTEN does not work (workers
//     fall back to polling) and pgx's prepared-statement cache must be
//     turned off in the connection string (default_query_exec_mode).
//   - Tasks whose lease lapsed are reclaimed by the claims of their queue;
//     a queue that nobody claims from keeps them running. Each claim reads
//     and sorts the queue's lapsed, not yet reclaimed leases to place them
//     in the rule's order: with 10,000 of them a claim of 10 took about
//     9 ms here, against 1 ms with none.
//   - Purge deletes rows; reclaiming their space is left to autovacuum.
//
// # Vacuum
//
// Every claim, finish and cancel leaves a dead row version and a dead entry
// in the pending index, and a claim walks the dead entries that precede
// the first live task until a vacuum removes them. Migration 003 sets the
// task table's autovacuum to run after a fixed number of changes (10,000
// dead rows) rather than PostgreSQL's fifth of the table, with index
// cleanup on, so that the dead entries a claim may meet do not grow with
// the final tasks kept for retention. Measured here with autovacuum on
// (its default naptime of a minute): 1,000,000 final tasks kept and
// 150,000 tasks cancelled, the default settings had not vacuumed a minute
// later and claims of 10 took 33 ms for the first and about 1 ms after,
// walking 754 index pages; with the table's settings it had vacuumed and
// they took 2 ms and 0.45 ms, walking 13. Nothing else needs setting;
// keep autovacuum on (the server's default).
//
// With autovacuum off nothing removes the dead entries but a VACUUM
// (BenchmarkClaimAfterCancelled, before any vacuum: after 200,000 cancels
// the first claim of 10 took 32 ms here against 1.5 ms with none, later
// ones 1.1 ms against 0.42 ms; with 1,000,000 about 1 s, then 24 ms). Run
// VACUUM on gosk_tasks after bulk cancels, or on a schedule.
package postgres
