// Package worker runs handlers over the tasks of a gosk.Queue.
//
// A Worker claims tasks, runs a Handler on each with up to
// Config.Concurrency at once, keeps their leases alive with pings and
// stores each outcome. Build one with New, then call Run, which works
// until its context is done, or Work, which handles what is available now
// and returns.
//
//	w, err := worker.New(q, func(ctx context.Context, t *gosk.Task[Email]) error {
//		if t.Payload.To == "" {
//			return gosk.ErrCancelTask // nothing to retry
//		}
//		return send(ctx, t.Payload)
//	}, &worker.Config{Concurrency: 16, Logger: slog.Default()})
//	if err != nil { ... }
//	err = w.Run(ctx) // until ctx is done, then a graceful shutdown
//
// # Claiming
//
// The worker claims as many tasks as it has free slots, in one driver
// call and in Config.Rule order. When a claim comes back short the queue
// is drained and the worker waits: for a wake-up from the driver when it
// implements driver.Notifier, and in any case for Config.PollInterval,
// jittered by 20%, or until a task it released for a retry comes due, so
// that a short back-off is not stretched to the poll interval. Wake-ups
// are hints; polling alone is correct.
//
// # Handler results
//
//   - nil completes the task;
//   - gosk.ErrCancelTask, wrapped or not, cancels it; the error text is
//     stored;
//   - the error of gosk.Snooze releases it to run again after the given
//     delay and gives the attempt back;
//   - any other error, or a panic (recovered, its stack logged, stored as
//     a *PanicError's text), releases it for a retry after Config.Backoff
//     of its attempt number, or fails it if that was its last attempt
//     (attempt >= MaxAttempts). The error text is stored. An error that
//     panics when read (a nil pointer of an error type whose Error method
//     reads a field) counts as a panic.
//
// Error texts are stored through driver.CleanMessage: NUL bytes and
// invalid UTF-8 become U+FFFD and the text is cut to driver.MaxMessageLen
// bytes, so that any error a handler returns can be stored on every
// driver.
//
// A task whose payload does not decode counts as a handler error, without
// calling the handler, so a fixed deploy can still run it. With
// Config.HandlerTimeout set, a run that takes longer has its context
// cancelled with the cause ErrHandlerTimeout, and its error is retried.
//
// A task counts as done only once its outcome is stored. Outcomes are
// gathered for Config.FinishWindow (or Config.FinishBatch of them, or
// until no other handler is running) and stored in one driver call; a
// failed call is retried with back-off while the tasks' leases are kept
// alive. One outcome that the store will not take does not hold back the
// others: a batch that the store refuses (gosk.ErrInvalid), or whose call
// failed three times in a row, is stored one outcome at a time. An
// outcome the store refuses on its own (gosk.ErrInvalid, or five failures,
// each with the store seen answering other calls since the one before) is
// given up: logged at
// Error level and reported as an EventNotStored whose Err says why. Its
// lease is no longer pinged, so it runs out and the store hands the task
// out again (or fails it, "lease expired", if that was its last attempt);
// Run returns an error at its end. A handler's slot is free again as soon as it returns, so that
// the next claim overlaps the storing of outcomes; the tasks a worker
// holds, running or waiting for their outcome to be stored, never number
// more than twice Config.Concurrency. Slots that come free one by one are
// claimed together: with some free but not all, the worker waits up to
// Config.ClaimWindow for the rest. With Config.Prefetch, a claim also
// takes tasks ahead, which wait leased for a handler (and the bound
// becomes twice Concurrency+Prefetch); then, from a store that answers
// claims within an eighth of the window, the worker claims without
// waiting once Concurrency slots are free, so that the tasks held ahead
// do not run out while it waits, and a handler that finds none waiting
// lets the claim loop run before it ends.
//
// # Results
//
// A handler may leave a result with the task it completes: a small value
// saying what the run produced (an ID, a count, a URL), which whoever
// created the task reads back with Queue.Get and Task.DecodeResult.
//
//	func(ctx context.Context, t *gosk.Task[Order]) error {
//		id, err := charge(ctx, t.Payload)
//		if err != nil {
//			return err
//		}
//		return t.SetResult(Receipt{ChargeID: id})
//	}
//
// Task.SetResult encodes the value with the queue's codec and sets
// Task.Result; if the handler then returns nil, the worker stores the
// result in the same write that completes the task (and reports it as
// Event.Result). A run that does not complete stores none: an error, a
// cancel, a snooze or a lost lease drops it, and a retried run starts
// with none. A result is at most gosk.MaxResultLen (64 KiB) encoded:
// SetResult refuses a longer one with an error wrapping gosk.ErrInvalid,
// leaving the result as it was, so the handler can return that error (the
// task is retried, then failed, with the error stored) or set a shorter
// result. A handler that sets Task.Result to longer bytes itself has its
// run treated as an error (see CheckResult): it is never completed
// without the result it meant to store.
//
// # Leases and pings
//
// Every Config.PingInterval the worker extends the leases of all the
// tasks it holds in one driver call. A lease it no longer holds (it ran
// out and another worker took the task, or the task was cancelled from
// outside with gosk.Queue.Cancel) cancels that handler's context with a
// cause wrapping gosk.ErrLeaseLost, and the outcome is not stored: the
// task belongs to someone else now. Delivery is therefore at least once;
// handlers should be idempotent.
//
// # Shutdown
//
// When Run's context is done, or Worker.Stop is called from another
// goroutine, the worker stops claiming, lets running handlers go on for
// up to Config.ShutdownTimeout, then cancels their contexts with the
// cause ErrShutdown (see context.Cause). Worker.StopNow cancels them at
// once, without waiting for the timeout, and so does a Stop whose
// context ends before the shutdown is over. A handler that
// then returns nil completes its task; one that returns an error has its
// task released at once without using up an attempt, so that another
// worker takes it.
// Run waits for every handler to return, stores every outcome, stops its
// goroutines and returns nil: a worker that returns nil has left no task
// leased. If the store fails throughout, Run gives up after Config.Lease
// and returns an error; those tasks are claimed again when their leases
// run out. Run also returns an error if the store refused an outcome
// while it ran (see Handler results).
//
// Stop and StopNow wait for that end and return nil (or their context's
// error if it ends first); Worker.Stopped is a channel closed at the same
// moment. They act on the Run or Work in progress only: with none, they
// do nothing, and a later Run runs as usual. A stopped worker may Run
// again. Work ended by a stop returns ErrStopped.
//
// While Run's context is live, a store that is down is waited for: claims
// and finishes are retried with back-off (growing to 5s between tries, so
// an outage costs a few calls a minute, not a spin), pings at their
// interval, and the worker carries on where it was once the store answers.
// Work, which must return, never waits for ever, even with a context that
// has no deadline: once the store has answered no call for Config.Lease
// while outcomes wait to be stored (by then the leases of the tasks it
// holds have run out unpinged, so other workers may take them), it gives
// up those outcomes and any still to come, reports each as an
// EventNotStored, and returns an error that names them (task ID and
// outcome) and wraps the last store error.
//
// # Retention
//
// With a driver that implements driver.Admin, every running worker purges
// the queue's final tasks older than Config.Retention each
// Config.RetentionInterval, in batches of Config.RetentionBatch. Workers
// need no leader: purges by several are harmless. Config.Retention set to
// NoRetention turns it off, and then no shipped driver deletes a final task
// unless its own options ask for it: the Redis driver's
// Options.Retention is a memory backstop, off by default, that deletes
// final tasks older than it as its scripts run; with both set, a final
// task goes at the shorter of the two.
//
// # Schedules
//
// A Schedule creates the tasks of a periodic schedule, with no leader:
// every process of a service may run the same schedule (NewSchedule with
// the same queue and name), next to its workers, and each slot of the
// schedule becomes one task, whatever the number of processes, their
// clocks and their restarts. Slots come from the schedule's Spec (Every,
// or Cron with an optional CRON_TZ), never from a clock alone; a clock
// only says when a slot is due. The store takes each slot once, in
// increasing order, and only after the one before it
// (driver.Scheduler), so a process with a fast clock creates its slots
// early rather than twice, one with a slow clock finds them taken, and a
// process that restarts goes on from the schedule's latest slot. When no
// process ran the schedule for longer than ScheduleConfig.ClockSkew, it
// starts again as ScheduleConfig.Missed says: with the last missed slot,
// once (the default), or with the next slot to come. Schedule.Run, like
// Worker.Run, runs until its context is done, and starts no goroutine.
//
// # Observing
//
// Config.Logger receives the worker's logs through log/slog (none by
// default). Config.Middleware wraps every handler call, for tracing spans
// and metrics; Config.OnEvent hears how each run ended once it is stored.
//
// # Groups
//
// A Group runs many workers, of any payload types, as one: NewGroup, then
// Group.Add for each worker (and Group.AddRunner for anything else with a
// Run method, such as a periodic schedule), then one Group.Run, which
// returns once every one of them has returned. Group.Stop, Group.StopNow
// and Group.Stopped mean for the whole Group what Worker.Stop, StopNow
// and Stopped mean for one worker; the first worker or Runner to return an
// error stops the others gracefully, and Run returns the errors joined.
// GroupConfig.Logger and GroupConfig.OnEvent serve every worker (the
// logger those whose Config has none; the hook after each worker's own).
//
// With GroupConfig.MaxConcurrency the workers draw their handler slots
// from one budget, on top of each one's Config.Concurrency. While it is
// short, a slot that comes free goes to the waiting worker that holds the
// fewest for its MemberOptions.Weight, so busy queues share the budget in
// proportion to their weights, a worker that holds none is served first
// (no queue starves) and a queue alone uses the whole budget. A worker
// that claims only to find its queue empty gives its slot straight back;
// while the budget is full, a worker woken by its own poll (on a driver
// without driver.DueReporter) waits for a slot before it can find that
// out.
//
// An idle worker polls its queue, one claim per Config.PollInterval, so
// that a process serving 20 idle queues claims 20 times per interval.
// On a driver with driver.DueReporter a Group does that polling for its
// idle workers instead: one Due call for all their queues per
// GroupConfig.PollInterval, waking only the workers whose queue has a
// task due (and at once when a task comes due before the next poll).
// Each worker still subscribes to driver.Notifier wake-ups for its
// queue; if Due fails, every idle worker is woken to claim, so polling
// still backs wake-ups up.
//
// # Errors
//
// New refuses invalid settings, naming the field, with an error wrapping
// gosk.ErrInvalid (gosk.ErrUnsupportedPriorityRule for Config.Rule). Run
// returns early, after a normal shutdown, if the driver is closed
// (gosk.ErrClosed) or refuses the claim's settings; other store errors are
// logged and retried with back-off.
//
// # Caveats
//
// Run waits for handlers to return even after cancelling their contexts:
// a handler that ignores its context holds up the shutdown. Handlers
// that outlive their lease (a blocked process, a long GC pause, a lost
// network) may run at the same time as the worker that reclaimed their
// task; fencing makes sure only the holder of the current lease stores an
// outcome.
package worker
