// Package bbolt is a gosk driver that stores tasks in a bbolt file
// (go.etcd.io/bbolt): one file, pure Go, no server, for single binaries and
// desktop apps that need durable background work.
//
// The package's name is the store's. A program that imports both takes an
// alias for one of them:
//
//	import (
//		bolt "go.etcd.io/bbolt"
//		goskbbolt "github.com/gosk/gosk/drivers/bbolt"
//	)
//
//	drv, err := goskbbolt.Open(ctx, "app.db", nil)           // the driver opens the file
//	drv, err := goskbbolt.New(ctx, db, &goskbbolt.Options{}) // or shares the app's *bolt.DB
//
// # Layout
//
// Everything lives under one top-level bucket, "gosk" unless
// [Options.Bucket] says otherwise, so the driver can share a file with the
// application's own buckets:
//
//	gosk/
//	  meta/     layout = "gosk/bbolt", version = SchemaVersion
//	  tasks/    ID -> task record (ID: 8 bytes big-endian; IDs come from the
//	            bucket's sequence, so they only grow and are never reused)
//	  payloads/ ID -> payload (written once; a change of state rewrites the
//	            small record only)
//	  results/  ID -> result, of a completed task whose run stored one
//	            (written with the completion; deleted with the task)
//	  queues/
//	    <queue>/
//	      fifo/    run-at | ID                  pending tasks due when stored
//	      prio/    ^priority | run-at | ID      pending tasks due when stored
//	      delayed:fifo/, delayed:prio/, delayed:ids/
//	               the same, and ID, for pending tasks stored to run later
//	      leases/  lease expiry | ID            running tasks
//	      final/   finalised-at | ID            completed, cancelled, failed
//	      unique/  unique key -> ID             pending and running tasks
//	      state:<state>/  ID                    every task, by state (pending:
//	                                            those due when stored)
//	      counts/  state -> number of tasks
//	  paused/   queue -> when it was paused   paused queues
//	  schedules/  queue | NUL | name -> latest slot (Unix microseconds,
//	            sign bit flipped) | its task ID | updated at (Unix ns),
//	            8 bytes each
//	  origins/  queue | NUL | origin | NUL | origin ID -> task ID | imported
//	            at (Unix ns, sign bit flipped), 8 bytes each: every origin
//	            task that Import stored, kept when its task is purged
//
// Index keys are big-endian (times as Unix nanoseconds with the sign bit
// flipped; the priority stored as MaxPriority minus it), so byte order is
// the order a claim wants and a claim reads only the entries it takes. A
// Fifo claim walks fifo/ from the first key and stops at the first run-at
// in the future; a Lifo claim seeks fifo/ to now and walks back; a
// Priority claim walks prio/ and, at a run-at in the future, seeks past
// the rest of that priority level, so it costs one seek per priority level
// plus the tasks it takes. A pending task is indexed in fifo/, prio/ and
// state:pending/ if it was due when stored (created, released or retried),
// and in the delayed:* buckets if its run-at was still to come, so that
// tasks held for later, however many, leave the B+trees that tasks due at
// once go through as shallow as in a store without them: every level is a
// page more to write and sync per commit. A claim walks both sets as above
// and merges what it read by the rule's keys; a task that leaves pending
// is deleted from both (a key a bucket lacks costs a read of its path).
// Expired leases are the first keys of leases/; a claim reads every one of
// them, fails those on their last attempt and merges the rest with the
// pending tasks it read, by the rule's keys. A claim of a queue listed in
// paused/ reads that key and nothing else; Due reads, per queue, that key
// and the first keys of both fifos and leases/. Purge walks final/ from
// the oldest; List merges the state buckets (and delayed:ids/ for
// pending) from a cursor; Count reads counts/. Every change of state
// updates the task's record and its index entries in the same
// transaction.
//
// The record is a compact binary encoding (a format byte, varints and
// length-prefixed strings). The version in meta/ is checked by Open and
// New: a store written by a newer version of this package fails with
// [ErrNewerSchema], a bucket that is not a gosk store with
// [ErrForeignLayout]; an older one is migrated in one write transaction.
//
// # Clock
//
// bbolt has no clock; the driver reads [Options.Clock] (time.Now by
// default) for run-at, lease expiry and timestamps, stored with nanosecond
// precision. Only one process has the file open at a time, so all workers
// of a store share that clock. Tests can inject their own.
//
// # Durability
//
// A call returns after its write transaction has committed, and bbolt
// commits with an fsync (unless the caller's *bolt.DB has NoSync set): a
// task that Create has returned survives a crash or a power cut, and so
// does every claim, ping and outcome. Each call is atomic: a batch of
// creates, claims, pings or outcomes is applied whole or not at all.
//
// [Open] sets bbolt's NoFreelistSync: the list of free pages is rebuilt
// when the file is opened instead of being written at every commit, which
// makes commits smaller at the cost of a slower open of a large file; it
// does not weaken durability. A *bolt.DB passed to [New] is used with the
// options its owner chose.
//
// # Concurrency
//
// bbolt allows one write transaction at a time per file, and one process
// per file: [Open] waits at most [Options.LockTimeout] for a file another
// process has open and then fails saying so. Reads (Get, List, Count, and
// a claim's look for work) run in read transactions beside the writer.
//
// Writes share commits, and so fsyncs, according to [Options.Commit]. The
// default, [CommitGrouped], makes concurrent calls queue behind the
// transaction in progress and then commit together: a lone call commits at
// once, and under load (many workers, many creators) one commit serves
// every call that arrived during the previous one. After a commit shared
// by several calls, the next waits (yielding, for at most a quarter of
// that commit's time) until as many calls have come in, so that callers
// writing in a loop keep sharing commits rather than alternating between
// two half-full ones. Every bbolt commit costs two fsyncs (the pages, then
// the meta page that makes them current), so the fewer commits, the
// better.
// [CommitBoltBatch] uses bbolt's DB.Batch instead, which waits up to the
// DB's MaxBatchDelay for company; [CommitEach] gives each call its own
// transaction. Package worker already batches claims, pings and outcomes
// into few calls; grouping shares commits between those calls, between
// workers, and between producers. A claim that finds nothing available
// uses a read transaction only, so idle workers cost no writes.
//
// # Limits
//
// Create refuses a payload longer than Options.MaxPayloadLen with
// driver.ErrInvalid naming the limit, before the store is touched; the
// default is driver.DefaultMaxPayloadLen (4 MiB) and the highest allowed
// setting 512 MiB (driver.MaxPayloadLimit); a bbolt value holds up to 2 GiB, but each write rewrites it.
//
// # Capabilities
//
// Every optional capability of the port:
//
//   - notify: in-process; a subscription is woken after a commit that made
//     a task of its queue available at once (created or released with no
//     delay, or retried);
//   - admin: the whole of driver.Admin;
//   - schedules: [Driver.CreateSlot] (driver.Scheduler), in the schedules
//     bucket, in the write transaction that creates the slot's task;
//   - transactional create: [Driver.Tx] binds a driver.Creator to
//     the caller's own writable *bolt.Tx, so tasks are stored together with
//     the application's writes, or not at all;
//   - import: [Driver.Import] (driver.Importer) stores tasks copied from
//     another store with their state and history, and records each origin
//     task in the origins bucket in the same write transaction, so that a
//     move run again stores it once.
//
// # Caveats
//
//   - bbolt never shrinks its file: pages freed by Purge are reused for new
//     tasks, but the file keeps its largest size. Use bbolt's Compact (or
//     the bbolt command's compact) offline to reclaim the space. As a
//     guide, 100,000 completed tasks with 70-byte payloads take about
//     32 MiB, and the file stays at that size after they are purged
//     (0.1 MiB once compacted); TestFileSize measures it.
//     BenchmarkFileSize sets it beside SQLite: with 100-byte payloads,
//     100,000 pending tasks took 338 bytes of file each (SQLite 259), and
//     the file kept that size once they were completed and purged (SQLite
//     305).
//   - Times are kept as int64 Unix nanoseconds, which end on 11 April
//     2262: a run-at or lease end later than that (a delay or lease of
//     more than about 235 years, such as math.MaxInt64 taken for "never")
//     is kept as that instant, and reads back as it. The task is still
//     never claimable before it; PostgreSQL, Redis and the memory driver
//     keep the instant itself.
//   - A Driver's write methods must not be called while the same goroutine
//     holds a write transaction of the same DB (bbolt's writer lock is not
//     reentrant): use [Driver.Tx] inside the transaction.
//   - Each claim reads every lease of its queue that ran out and was not
//     yet reclaimed, to fail those on their last attempt and to place the
//     others in the rule's order; many such leases (lapsed low-priority
//     tasks waiting behind a stream of higher ones) cost every claim:
//     about 1.5 µs each (10,000 of them: a claim of 10 took 16 ms here,
//     against 1.2 ms with none).
//   - Notify reaches only this process's subscribers; since bbolt lets one
//     process have the file open, that is every worker of the store.
//   - A payload is copied into the file once and read at each claim; bbolt
//     keeps values of more than a page on overflow pages, so very large
//     payloads grow the file quickly. Keep payloads small and store large
//     data elsewhere.
package bbolt
