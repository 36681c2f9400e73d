// Package drivertest is the conformance suite for gosk drivers: a driver
// that passes [Run] keeps the contract of package driver, and package gosk
// and package worker can rely on it.
//
// Every shipped driver runs it against its real store, and so should a
// driver you write for another store. One test function is enough:
//
//	func TestConformance(t *testing.T) {
//		drivertest.Run(t, drivertest.Harness{
//			New: func(t testing.TB) driver.Driver {
//				d, err := mystore.Open(freshNamespace(t))
//				require.NoError(t, err)
//				t.Cleanup(func() { dropNamespace(t) })
//				return d
//			},
//			Tx: func(t testing.TB, d driver.Driver) (driver.Creator, func() error, func() error) {
//				m := d.(*mystore.Driver)
//				tx := m.Begin()
//				return m.Tx(tx), tx.Commit, tx.Rollback
//			},
//		})
//	}
//
// and [RunBenchmarks] measures it with the same code that measures every
// other driver:
//
//	func BenchmarkDriver(b *testing.B) { drivertest.RunBenchmarks(b, harness) }
//
// # The harness
//
// [Harness.New] returns a fresh, empty driver for each subtest, isolated
// from every other driver it returns: its own schema, key prefix, file or
// process. Subtests of one group run in parallel, so drivers returned by
// New must not see each other's tasks. New registers the removal of its
// namespace with t.Cleanup; the suite calls Close on the driver itself
// (before that cleanup runs) and expects Close to leave nothing running.
// Each subtest also uses queue names of its own, so a harness that cannot
// isolate fully (one Redis database, say) still gets correct results.
//
// [Harness.Tx] hands out a [driver.Creator] bound to a new transaction of
// the driver's store, with the functions that commit and roll it back.
//
// # Capabilities and exemptions
//
// The full contract is the default. The optional capabilities are
// [driver.Notifier], [driver.Admin], [driver.DueReporter],
// [driver.Scheduler] and [driver.QueueLister], found by type assertion on
// the driver, and transactional create, present when Harness.Tx is set. A
// driver that lacks one must say so in [Harness.Exempt], with the reason:
//
//	Exempt: map[drivertest.Capability]string{
//		drivertest.CapNotify: "the store has no change feed; workers poll",
//	}
//
// The subtests of an exempted capability are skipped with that reason. A
// capability that is neither present nor exempted fails its subtests with
// a message saying so: nothing is skipped silently.
//
// # What the subtests prove
//
// Each subtest is named after the rule it proves, and its failure message
// says which rule broke and, in one line, why that rule matters to the
// users of package gosk and package worker. The groups are:
//
//   - Create: Get returns every field Create stored; batch results line up
//     with the input; IDs are distinct and never reused.
//   - Claim: a claim leases its tasks and counts an attempt, returns the
//     whole record as Get reads it, honours its limit (zero means one),
//     finds nothing in an empty queue without an error, and many concurrent
//     claimers never share a live lease: rounds of claimers racing in
//     waves over a few fresh tasks hand out every task exactly once, with
//     a lease of its own that still holds, and go on until 700 claims
//     overlapped another, so that a fault in 1 of 50 overlapping claims
//     fails every run.
//   - Order: Fifo, Lifo and Priority, one claim at a time and in batches.
//   - Queues: a claim takes only its own queue's tasks.
//   - RunAt: a delayed task's run-at is now plus its delay, exactly; it is
//     not claimable before its run-at, not even a moment before, and is
//     from then on; Fifo, Lifo and Priority (among equals) order by run-at
//     rather than by creation.
//   - Lease: under each of Fifo, Lifo and Priority
//     (Lease/ExpiryMakesTaskClaimableAgain/Lifo, ...): an expired lease
//     makes its task claimable again; a reclaim gives a new token and
//     counts an attempt; a lapsed lease holds (pings, completes) until
//     someone reclaims the task; a lapse on the last attempt fails the task
//     ("lease expired", finalised at the failing claim), frees its unique
//     key and does not count against the claim's limit. A claim's lease
//     ends at now plus the lease length and a ping's extension at the
//     ping's now plus the extension, exactly (neither shorter nor longer;
//     a ping may shorten a lease), and the task is claimable again from
//     that instant and not before; a ping extends a lease past its
//     original end.
//     Any claim of the queue fails every task whose last lease ran out, even
//     with limit 1; a lapsed task takes its place in Fifo, Lifo and Priority
//     order as a pending task with its priority, run-at and ID would (one
//     subtest per rule), and one that a claim passed over still holds for a
//     ping or a finish.
//   - Fencing: a stale lease (after a reclaim, an outside cancel, a
//     finalise, a release, or a release and then an outside cancel) and a
//     forged token change nothing; an outcome by a lease that already
//     ended its run (a repeated release or complete, a complete after a
//     release) is ErrTaskConflict, a ping by it ErrLeaseLost; a late ping
//     never revives a final task; a finalise or a ping racing a reclaim of
//     its lapsed lease, and a complete racing an outside cancel, each have
//     exactly one winner.
//   - Refused: a call refused with ErrLeaseLost, ErrTaskConflict or
//     ErrTaskNotFound leaves the whole record unchanged (every field, the
//     current holder's lease expiry and the last error included): a ping
//     and outcomes of every kind (with a message, a delay, KeepAttempt) by
//     a lease whose task was reclaimed, released, cancelled from outside,
//     finalised or failed for a lapsed last attempt, alone and as items of
//     Ping and Finish batches next to items that apply.
//   - Alignment: batches of Create, Ping, Finish, Admin.Retry and
//     Admin.Cancel whose per-item results (applied, duplicate, lost,
//     conflict, not found) differ from each neighbour and from their
//     mirror image, so that a result slice shifted or reversed fails, and
//     each item's effect lands on its own task.
//   - Finish: each outcome reaches its state and stores its message, and
//     an empty message keeps the last error; finalising is once only
//     (ErrTaskConflict); batch results line up.
//   - InputOrder: Ping, Finish, Admin.Cancel and Admin.Retry take their
//     leases, outcomes and IDs in any order (descending, mixed) and their
//     results line up with the input; a Ping and a Finish over the same
//     tasks in opposite orders, at once, both succeed (a store that locks
//     rows must lock them in task-ID order, or they deadlock).
//   - Attempts: an error or a lapse uses the attempt, a release with
//     KeepAttempt gives it back.
//   - Release: without a delay the task is claimable at once, behind the
//     tasks already waiting (run-at is now); with one, its run-at is the
//     release's now plus the delay (not the creation, claim or old run-at
//     plus it), and it is not claimable before, also when the release
//     gives its attempt back.
//   - UnknownID: every call reports ErrTaskNotFound, per item in batches.
//   - Unique: a duplicate gets the existing ID and ErrDuplicate, also within
//     one batch and under concurrent creates; the key is held while pending
//     or running, freed once final, and scoped to its queue; held through
//     a release, a snooze, a lapsed lease and a reclaim, freed by each of
//     complete, cancel, fail and the failure of a lapsed last attempt.
//   - Payload: binary, non-UTF-8, empty and 1 MiB payloads round-trip;
//     payloads of sizes on either side of 256 B, 1 KiB, 4 KiB and more (a
//     store may keep large ones apart from their records) read back whole
//     from Get, Claim and List while pending, running, final and retried.
//   - Text: a message or unique key with a NUL byte or invalid UTF-8, or
//     longer than driver.MaxMessageLen or driver.MaxUniqueKeyLen, is
//     ErrInvalid and the whole batch changes nothing; one of exactly the
//     limit is stored whole; valid texts (multi-byte, four-byte, control
//     characters, U+FFFD) read back exactly through Get, Claim and List;
//     unique keys compare byte for byte (no case folding, normalisation or
//     padding); and package worker, whose handlers return error texts with
//     NUL bytes, invalid UTF-8 and too many bytes, brings 200 tasks to
//     their final states with the texts stored as driver.CleanMessage
//     makes them.
//   - Context: a cancelled context returns its error and applies nothing.
//   - Closed: every call after Close returns ErrClosed, whatever its
//     input: a driver checks that it is open before it checks the input.
//   - Input: empty or malformed queue names, negative limits and
//     durations, unknown rules and outcome kinds, bad unique keys, a task
//     named twice in one batch; an invalid batch stores nothing.
//   - Hostile: queue names with quotes, %, *, ?, braces, brackets,
//     backslashes, NUL, newlines, invalid UTF-8 and more are refused with
//     ErrInvalid in the words of driver.ValidateQueueName by Create,
//     Claim, Subscribe, List, Count and Purge alike, and a batch holding
//     one stores nothing; unique keys that look like patterns, escapes,
//     SQL, Lua or key separators are stored and read back exactly and
//     match only themselves; bad ones are refused in the words of
//     driver.CheckText; a payload of exactly the driver's limit
//     (Harness.MaxPayloadLen, default driver.DefaultMaxPayloadLen) is
//     stored whole, and one byte more is ErrInvalid naming the limit and
//     stores nothing of its batch.
//   - Result: a completion's Outcome.Result is read back by Get and
//     List, byte for byte, with its own task within a batch (whatever the
//     batch's order, and not for a completion its lease refused); a task
//     with none (not completed, or completed without one, or with an empty
//     one) reads a nil Result; a result of driver.MaxResultLen bytes is
//     stored whole and one byte more is ErrInvalid and changes nothing,
//     as is a result on a release, cancel or fail; a refused retry of a
//     completed task keeps its result, a retried task carries none into
//     its next run, and Purge takes the result with its task.
//   - Notify, Admin, Tx: each optional capability, when present. Notify
//     covers the wake-ups (create, release, retry) and how a subscription
//     ends, watched through Subscription.Done: by itself once its context
//     is done (no Stop, no Close), before Stop returns, and before Close
//     returns, for every subscription of the driver. Admin
//     covers List (whole records, ID order, cursor, states, default limit),
//     Count, Retry (attempts reset, run-at now, last error kept, a unique
//     key taken since or earlier in the batch is ErrDuplicate and changes
//     nothing), Cancel (frees the unique key) and Purge (final tasks only,
//     the age cutoff, counted from finalisation rather than creation,
//     oldest finalisation first, the limit); every Admin method returns a
//     cancelled context's error and applies nothing; Count reports a
//     lapsed, unclaimed lease as running; Count and List agree after a
//     Purge. Purge ages are measured on the suite's clock, or on the
//     store's clock just before the call, so a slow machine cannot blur
//     the cutoff. Tx covers
//     a key taken earlier in the same transaction (ErrDuplicate with that
//     task's ID) and that every task a transactional Create acknowledged
//     exists after commit.
//   - Pause (part of Admin): a paused queue's Claim hands out nothing and
//     changes nothing (no pending task, no lapsed lease, no failing of a
//     spent one) under every rule; Create still stores tasks, running
//     tasks ping and finish; Resume makes them claimable and wakes the
//     queue's subscribers; both are idempotent; PausedQueues is exact and
//     sorted; bad names are ErrInvalid and apply nothing; with
//     Harness.Again, a second driver on the store sees the pause.
//   - Due (driver.DueReporter, capability CapDue): NotDue for a queue
//     with no pending or running task or a paused one, zero for a task
//     available now or a lapsed lease, otherwise the time until the
//     earliest run-at or lease end (exactly on the suite's clock); one
//     result per queue in input order; Due changes nothing.
//   - QueueList (driver.QueueLister, capability CapQueues): Queues names
//     every queue that holds a task in any state or is paused, once, in
//     ascending byte order, an empty slice for an empty store, and not a
//     queue whose every task was purged; a cancelled context and a closed
//     driver are refused.
//   - Schedule: driver.Scheduler, when present. CreateSlot takes a
//     schedule's first slot and creates its task; the same slot again, an
//     earlier one (by a microsecond, or in another time zone) and a slot
//     within the same microsecond create nothing and report the latest
//     slot; later slots create; schedules of other names and queues are
//     apart; a held unique key takes the slot without a task
//     (ErrDuplicate, the holder's ID); invalid input is ErrInvalid and
//     takes nothing; callers racing over the same slots create each once;
//     the record outlives the purge of its tasks and, through
//     Harness.Again (exempt CapAgain where a store cannot be opened
//     twice), the driver that wrote it.
//   - Model: random sequences of create, transactional create (commit
//     or roll back), claim, ping, finish, cancel, retry, purge, get, count
//     and list from several simulated workers, checked step by step
//     against a reference model of the contract (with pgregory.net/rapid):
//     per-item results, task results, fencing errors (a refused call is followed by a Get that
//     must show the task unchanged), states, attempts, last errors, unique
//     keys across the store and transactions, counts, purge (final tasks
//     only, the age from finalisation, oldest finalisation first, the
//     limit), and claim order wherever the model knows it exactly. With
//     Harness.NewClocked the model also moves the clock: leases lapse (the
//     lapsed task takes its place in the claim order, or is failed on its
//     last attempt, and its old lease is stale), delays pass, purge ages
//     count, and every stored time is compared with the model's; on a
//     store that keeps its own clock its leases never run out during a
//     case and its delays never pass (the Lease and RunAt groups cover
//     time there).
//
// A failure of the model names the broken rule first, then the shortest
// sequence of steps rapid found that breaks it, with tasks named t1, t2,
// ... in creation order and leases by the step that took them:
//
//	rule broken: an outcome (Finish) by a stale lease (t1 was claimed again in step 5) returns ErrLeaseLost and changes nothing; got nil
//	shortest failing sequence found (6 steps):
//	   1. create 1 task(s) in queue A: (priority 0, 1 attempts) -> t1
//	   2. worker 0 claims up to 1 from queue A in fifo order -> t1
//	   3. worker 0 finishes: release t1 (lease of step 2) keeping the attempt -> nil
//	   4. ...
//
// Beside the subtests, [FuzzBoundary] is the body of a native fuzz target
// (go test -fuzz) for a driver's boundary: queue names, unique keys,
// payloads and outcome messages of arbitrary bytes and sizes, and delays
// of any length, go through Create, Get, Claim, Finish (Cancel for a
// delayed task) and Get; each input either round-trips exactly or is
// refused with ErrInvalid and stores nothing, a delayed task is not
// claimable before its run-at, and Count matches what the target stored
// after every step. The memory, SQLite and
// bbolt packages each have a FuzzBoundary target built on it, with their
// corpora in testdata/fuzz/FuzzBoundary; its seeds run in every go test.
//
// # Time
//
// A driver that reads the time from a clock its constructor takes should
// set [Harness.NewClocked]: the subtests about time (lease expiry, run-at,
// release delays, exact durations) then run on a clock the suite moves by
// hand, and are quick and exact. That clock starts a day behind the real
// time and moves in whole milliseconds, so times are checked exactly, and a
// driver that reads time.Now anywhere instead of its clock fails those
// subtests with times a day off.
//
// Without NewClocked (a store that keeps its own clock, as PostgreSQL and
// Redis do) the same subtests read the store's time from the creation time
// of probe tasks in side queues, and use leases and delays of 150 to 200
// milliseconds, waiting on conditions (a claim that succeeds, a probe whose
// lease ran out), polling for up to ten seconds; nothing sleeps for a fixed
// time. An exact duration is then checked between probes written just
// before and just after the call, give or take a millisecond (the coarsest
// time precision a store may keep), and a due time by a probe written just
// after the claim that got the task. The model test moves the clock of a
// driver from Harness.NewClocked, and otherwise uses leases long enough
// never to run out.
//
// # Caveats
//
// The suite creates a few thousand small tasks and one 1 MiB payload per
// run.
//
// The model test runs rapid (-rapid.checks cases, 100 by default) up to
// ten times with fresh seeds, as long as the next round is expected to end
// within three seconds of the first one's start: about 1000 cases on an
// in-process store, 100 to 400 on a store behind a network or a disk. To
// run more, or exactly N, pass -rapid.checks=N (or set RAPID_CHECKS): the
// model then makes one call of rapid with N cases, as it does under
// -short, -rapid.seed and -rapid.failfile. Shrinking a failure takes up to
// -rapid.shrinktime (30 s by default). rapid's step logs are kept out of
// the output unless -rapid.v or -rapid.log is set.
//
// The suite writes no files into the package under test: rapid writes a
// failing case to testdata/rapid by default, and the model turns that off
// while it runs unless you set -rapid.nofailfile (or RAPID_NOFAILFILE)
// yourself; -rapid.nofailfile=false asks for the fail files. rapid keeps
// the setting in a process-wide flag, so a test of your own that uses
// rapid in parallel with the model test may find fail files off for that
// while.
package drivertest
