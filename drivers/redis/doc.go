// Package redis is the gosk driver on Redis, through
// github.com/redis/go-redis/v9. It works on a single server, behind
// Sentinel and on Redis Cluster, and implements driver.Driver,
// driver.Notifier, driver.Admin, driver.Scheduler, driver.Importer and
// transactional create (Driver.Tx).
//
// The package is named redis like go-redis; import it under another name
// when a file uses both:
//
//	import (
//		goredis "github.com/redis/go-redis/v9"
//		goskredis "github.com/gosk/gosk/drivers/redis"
//	)
//
//	client := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:6379"})
//	drv, err := goskredis.New(ctx, client, &goskredis.Options{Prefix: "myapp:"})
//
// or, for a single server, goskredis.Open(ctx, "redis://127.0.0.1:6379/0", nil).
//
// It needs Redis 5 or newer (tested with 7.0), or a server that speaks its
// protocol and runs its Lua scripts.
//
// # How the layout works
//
// Every key starts with Options.Prefix (default "gosk:"). Each queue lives
// in one hash slot: the slot is CRC16(prefix, queue) mod 16384, and all of
// the queue's keys carry a hash tag {t}, where t is a short string that
// Redis hashes to that slot. A task ID carries its slot too: ID = seq·16384
// + slot, where seq comes from a counter of the slot. So a call that names
// only task IDs (Get, Ping, Finish, Retry, Cancel) finds each task's slot
// from its ID, and one script on that slot's node reads and changes the
// task and its queue's indexes atomically. With B = prefix + "{t}":
//
//	B + "seq"                    string  ID counter of the slot
//	B + "t:" + ID                string  the task: one MessagePack array of q queue,
//	                                     p payload, pr priority, uk unique key, s
//	                                     state, a attempt, ma max attempts, e last
//	                                     error, c created, r run-at, l lease expiry,
//	                                     f finalised (µs on the server's clock), tok
//	                                     lease token, res result (false unless a
//	                                     completed task stored one), in that
//	                                     order; numbers as integers
//	B + "p:" + ID                string  the payload of a task whose record holds
//	                                     false for p (payloads of 1 KiB or more)
//	B + "n:" + random name       string  a payload staged for a create call, which
//	                                     renames it to "p:" + ID; it expires after
//	                                     10 minutes if the call never ran
//	B + "q:" + Q + ":pending"    zset    pending tasks of priority 0 by run-at
//	B + "q:" + Q + ":pendingp"   zset    pending tasks of other priorities by run-at
//	B + "q:" + Q + ":delayed"    zset    pending tasks of other priorities not yet
//	                                     due, by run-at
//	B + "q:" + Q + ":prio"       zset    due pending tasks of other priorities by
//	                                     -priority, member "<run-at>:<ID>"
//	B + "q:" + Q + ":running"    zset    running tasks by lease expiry (+inf once
//	                                     moved to the lapsed sets)
//	B + "q:" + Q + ":lapsed"     zset    running tasks whose lease ran out, by
//	                                     run-at (Fifo, Lifo)
//	B + "q:" + Q + ":lapsedprio" zset    the same by -priority, member
//	                                     "<run-at>:<ID>" (Priority)
//	B + "q:" + Q + ":completed"  zset    final tasks by finalisation time; also
//	B + "q:" + Q + ":cancelled"          ":cancelled" and ":failed"
//	B + "q:" + Q + ":all"        zset    every task by ID (Admin.List)
//	B + "q:" + Q + ":unique"     hash    unique key -> ID of the live task holding it
//	B + "q:" + Q + ":schedules"  hash    schedule name -> "<latest slot>:<its task
//	                                     ID>:<updated>" (µs; Scheduler)
//	B + "q:" + Q + ":origins"    hash    "<origin task ID>:<origin>" -> ID of the
//	                                     task it was imported as (Importer);
//	                                     never deleted
//	B + "q:" + Q + ":wake"       channel pub/sub channel of the queue (Notifier)
//	B + "q:" + Q + ":paused"     string  present while the queue is paused
//	prefix + "meta"              hash    layout owner and version
//	prefix + "paused"            zset    names of paused queues, scored 0 so
//	                                     they sort in byte order (PausedQueues)
//
// A task is one packed string rather than a hash because a hash with a
// value over 64 bytes (hash-max-listpack-value), such as most payloads, is
// a hash table: about 1 KB per task against about 250 bytes packed. Layout
// version 1 stored tasks as hashes of the same fields; the scripts still
// read such a task, and its next change rewrites it packed. Layout 1 also
// put every pending task in the pending set and every due one in the
// priority set; a task it stored is taken out of its sets as layout 1 put
// it there, and Priority claims read the pending set past such tasks of
// other priorities. Indexing the tasks of priority 0 once, not twice,
// saves about 140 bytes each.
//
// A payload of 1 KiB or more is kept under a key of its own (layout
// version 3), because the scripts that claim, finish and change a task
// unpack and repack its record, and every byte that passes through the
// server's Lua costs it about 2 µs a kilobyte: with 10 KB payloads a
// worker processed about a third as many tasks a second as it does now.
// Create sets such a payload under a random staging name in the same
// pipeline as its script call, which renames it to the task's payload key
// (moving it without a copy); a claim, Get or List reads it with one MGET
// after its script; deleting the task deletes it. Tasks stored before
// keep their payloads in their records. A task created in a caller's
// transaction (Tx) or by a schedule keeps its payload in its record too.
//
// IDs in keys and members are zero-padded to 16 digits, so that members of
// equal score sort by ID. A claim reads only what it hands out, plus
// expired leases from the front of the running set: Fifo reads the pending
// and pendingp sets from their start up to now, Lifo from now backwards;
// Priority first moves tasks that have come due from the delayed set into
// the priority set (each task once), then reads the priority set from its
// start and the pending set (priority 0, in run-at then ID order) up to
// now.
// A claim first moves the leases that ran out since the last claim of the
// queue (each lapse once): one on its task's last attempt is failed with
// "lease expired", the others go into the lapsed sets, ordered as the
// pending sets are, and their running entry scores +inf. It then reads up
// to n tasks from the head of the rule's pending set and of its lapsed set
// and merges them by the rule's keys (priority, run-at, ID). A ping,
// finish or cancel of a running task takes it out of the lapsed sets.
//
// A queue is paused while its paused flag is set: the claim script reads
// it first, in the queue's slot, and hands out nothing. The set of paused
// queues lives in another slot, so Pause and Resume change the flags and
// the set one after the other; PausedQueues lists a queue only while its
// flag is set. Due is one script call on a single server (per 500
// queues), and one per slot in one pipeline on a cluster; each call first
// asks one EXISTS whether any of its queues has a flag, a lapsed, pending
// or running set (an idle group of queues costs that alone), and only then
// reads, per queue, the flag, the lapsed set's size and the first entries
// of the pending and running sets.
//
// Every step that must be atomic (create, claim, ping, finish, retry,
// cancel, purge, count, and per slot pause, resume and due) is one Lua script in lua/, run by SHA (EVALSHA)
// with a fallback to EVAL when the server has lost its script cache. A
// batch of pings, outcomes or IDs spanning several slots is one pipeline of
// one script call per slot.
//
// # Clock
//
// The server's clock (TIME, read inside each script) decides run-at, lease
// expiry and every timestamp, so workers on machines with skewed clocks
// agree. On a cluster each node uses its own clock for the queues it
// holds; keep the nodes' clocks in sync (NTP) as for any cluster.
//
// # Durability
//
// Redis keeps data in memory. A task is only as durable as the server's
// persistence makes it: with the default RDB snapshots a crash loses the
// tasks created, claimed and finished since the last snapshot (completed
// tasks may run again, new ones may vanish). For tasks to survive a
// restart, run with the append-only file: appendonly yes with appendfsync
// everysec (lose at most about a second of changes) or appendfsync always
// (lose nothing that was acknowledged, at a cost in throughput). Redis
// replication is asynchronous: after a failover (Sentinel, Cluster) the new
// master may lack the last writes of the old one. Set maxmemory-policy to
// noeviction: an evicting policy would silently drop tasks.
//
// A client made by Open does not resend a command whose connection broke
// (go-redis resends by default), since the server may have run the script
// already: a resent create would store a second task. The error reaches
// the caller, which retries knowing the call may have applied; package
// worker does. The fault tests kill the driver's connections (CLIENT
// KILL) under load and SIGKILL and restart a server with appendfsync
// always under a running worker: every acknowledged create survives and
// becomes final. Open refuses a server that is down; with Options.Lazy it
// does not contact the server, so a worker can start before its Redis.
//
// # Retention
//
// Final tasks are kept for inspection until Admin.Purge deletes them. How
// long is the worker's policy: package worker purges each queue's final
// tasks older than worker.Config.Retention (24h by default), and keeps
// every one with worker.NoRetention. The driver deletes nothing by itself
// unless Options.Retention is set: it is then a memory backstop, and the
// scripts that claim, finish or cancel tasks of a queue also delete up to
// 16 of its final tasks per final state finalised longer ago than
// Options.Retention, with no background goroutine. With both set, a final
// task goes at the shorter of the two: a backstop shorter than the
// worker's retention overrides it, and a longer one matters only where no
// worker purges (workers with NoRetention, or the driver used without
// package worker). With the default (zero), a Redis user with
// worker.NoRetention keeps every final task.
//
// # Logging
//
// The driver logs nothing of its own: its failures are the errors its
// calls return. go-redis, though, logs through one logger for the whole
// process (goredis.SetLogger), by default to stderr: a line per failed
// connection attempt, hundreds while a server restarts, even though the
// calls that met them return the failure too. So the first New or Open
// of the process installs in go-redis a logger that passes each line, at
// slog.LevelWarn, to the Options.Logger of every open driver that has one
// (once per distinct logger), and drops it when none has. This also
// covers the process's other go-redis clients, since go-redis cannot tell
// a line's client; a program that wants go-redis's lines elsewhere calls
// goredis.SetLogger after its first New or Open, which then wins for
// every client, gosk's included.
//
// # Migrations
//
// New runs the numbered scripts of lua/migrations in order. Each is atomic
// and applies only when the prefix is at the version just before its own,
// so several processes may start at once. A prefix whose meta key was not
// written by gosk, or that a newer gosk migrated, makes New fail with an
// error that says so.
//
// # Concurrency
//
// Every method is safe for concurrent use by many goroutines and many
// processes: each atomic step is a single script, and Redis runs scripts
// one at a time. Two claims never hand out one task while its lease holds.
//
// # Limits
//
// Create refuses a payload longer than Options.MaxPayloadLen with
// driver.ErrInvalid naming the limit, before the store is touched; the
// default is driver.DefaultMaxPayloadLen (4 MiB) and the highest allowed
// setting 512 MiB (driver.MaxPayloadLimit), Redis's default proto-max-bulk-len.
//
// # Capabilities
//
//   - driver.Notifier: Subscribe listens on the queue's pub/sub channel,
//     which the scripts publish to when a task becomes available at once;
//     a waiting worker wakes within a round trip of the create. All of a
//     driver's subscriptions share one pub/sub connection and one
//     goroutine, open while any subscription is; a subscription ends by
//     Stop, its context or Close.
//   - driver.Admin: List, Count, Retry, Cancel and Purge.
//   - driver.Scheduler: CreateSlot is one script on the queue's slot,
//     which keeps the schedule's latest slot in the queue's schedules hash.
//   - driver.Importer: Import is one script per slot, as Create is, which
//     checks and records each origin task in the queue's origins hash in
//     the step that stores it. The hash is never deleted, so that a task
//     purged here is not imported again: it costs memory for every task
//     ever imported (MEMORY USAGE of the hash after 20,000 imports with
//     an origin of 34 bytes: 117 bytes per task).
//   - Transactional create: Driver.Tx binds a Creator to the caller's
//     MULTI/EXEC pipeline (TxPipeline); the tasks appear only if EXEC runs.
//
// # Scale-out on Redis Cluster
//
// A queue is one slot, so one master serves all of a queue's traffic:
// many queues spread over the masters, but one hot queue does not. This
// is what keeps every port call atomic without cross-slot transactions.
// To spread a heavy load, split it over several queues.
//
// # Caveats
//
//   - A Create batch of one queue is one script call, atomic everywhere. A
//     batch spanning queues in several slots is one MULTI/EXEC on a single
//     server and one pipeline on a cluster, where no transaction spans
//     slots: atomic per slot, since Redis does not roll a transaction
//     back. If some slots' scripts fail while others apply, Create
//     returns no error and each task of a failed slot has that failure as
//     its result's Err (none of them stored); the call's own error means
//     no slot's script applied.
//   - A call, once sent, is answered whatever its context does afterwards:
//     go-redis checks the context before it sends, and by default not
//     while it waits for the reply, so that a Create (or a Claim) whose
//     context ends at the server reports what its script did. A client
//     made with go-redis's ContextTimeoutEnabled lets a context's
//     deadline cut that wait short: the call then returns the deadline's
//     error for a script the server may have run (tasks stored, tasks
//     leased until their lease runs out). Leave it off for gosk's client.
//   - In Driver.Tx, IDs are reserved and unique keys checked when Create is
//     called, since Redis gives results only at EXEC. A key taken earlier
//     in the same transaction is seen (ErrDuplicate, with that task's ID);
//     if another client's task takes a unique key before EXEC, that item
//     is not stored and its ID names no task.
//   - Task IDs are at most 2^53-1 (Lua numbers are doubles), which allows
//     about 5·10^11 tasks per slot.
//   - Priority claims move at most 10000 due tasks per call from the delayed
//     set to the priority set; a larger burst of tasks coming due at once
//     is ordered by priority over several claims.
//   - The first claim after many leases ran out at once moves all of them
//     in its one script (10,000 lapsed leases: about 0.2 s on a loaded
//     2-core machine); later claims read at most twice what they hand out.
//   - A store written by this version keeps lapsed leases that a claim
//     moved in the lapsed sets, with a running score of +inf: an older
//     version of the driver would never reclaim them, so do not downgrade
//     while tasks are running.
//   - Admin.List reads in steps of 1000 IDs, each atomic, so a long listing
//     is not one snapshot.
//   - Scripts name the keys of their slot from the base key they are given
//     (KEYS[1]) rather than declaring each one; all of them share that
//     key's slot, which is what Redis Cluster checks. The due script takes
//     one base key per queue, and on a single server reads queues of many
//     slots in one call (a single server does not check slots).
//   - While a cluster moves a queue's slot to another node (resharding),
//     its scripts fail with TRYAGAIN or are redirected; go-redis retries
//     them, and a call that still fails changed nothing.
//   - A subscription's connection that drops is reconnected by go-redis;
//     wake-ups sent meanwhile are lost, and workers' polling covers them.
//   - The driver never calls FLUSHDB or KEYS; removing a prefix's keys is
//     left to the operator (SCAN and UNLINK).
package redis
