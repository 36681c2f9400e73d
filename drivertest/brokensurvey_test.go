package drivertest_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/gosk/gosk/driver"
)

// The broken drivers that a mutation survey of the memory driver found
// the suite letting through: each breaks a rule that no subtest held
// until the subtests named in its entry were written (or, for
// due-results-reversed, given an input that is not its own mirror image).

// surveyBroken maps each of them to the rule it breaks and the subtests
// that must catch it, as brokenDrivers does.
var surveyBroken = map[string]brokenDriver{
	"payload-shared-with-caller": {
		rule:   "a stored payload is a copy: neither the caller's slice nor a returned record shares its bytes",
		caught: []string{"Payload/CallerMayReuseItsBytes"},
		only:   "^Payload$",
	},
	"result-shared-with-caller": {
		rule:   "a stored result is a copy: neither the caller's slice nor a returned record shares its bytes",
		caught: []string{"Result/CallerMayReuseItsBytes"},
		only:   "^Result$",
	},
	"invalid-ping-batch-applied": {
		rule:   "a Ping batch refused as invalid extends none of its leases",
		caught: []string{"Input/InvalidBatchOfEveryCallChangesNothing"},
		only:   "^Input$",
	},
	"invalid-cancel-batch-applied": {
		rule:   "an Admin.Cancel batch refused as invalid cancels none of its tasks",
		caught: []string{"Input/InvalidBatchOfEveryCallChangesNothing"},
		only:   "^Input$",
	},
	"due-by-top-priority": {
		rule:   "Due is the time until the earliest run-at, whatever the priorities",
		caught: []string{"Due/EarliestRunAtWhateverPriority"},
		only:   "^Due$",
	},
	"due-results-reversed": {
		rule:   "Due's results line up with its queues",
		caught: []string{"Due/ResultsLineUpWithInput"},
		only:   "^Due$",
	},
	"claim-holds-back-spent-tasks": {
		rule:   "a pending task is handed out whatever its attempt count",
		caught: []string{"Claim/PendingTaskHandedOutWhateverItsAttempts"},
		only:   "^Claim$/^PendingTask",
	},
	"finish-check-then-act": {
		rule:   "a finish checks its lease and applies in one step: racing a reclaim, exactly one side wins",
		caught: []string{"Fencing/FinishRacingReclaimHasOneWinner"},
		only:   "^Fencing$/Racing",
	},
	"ping-check-then-act": {
		rule:   "a ping checks its lease and extends it in one step: racing a reclaim, exactly one side wins",
		caught: []string{"Fencing/PingRacingReclaimHasOneWinner"},
		only:   "^Fencing$/Racing",
	},
	"retry-check-then-act": {
		rule:   "Admin.Retry checks a task and retries it in one step: of two retries racing for one task or one key, exactly one applies",
		caught: []string{"Admin/ConcurrentRetriesRestoreOne", "Admin/RetryRacingCreateOfItsKeyOneHolds"},
		only:   "^Admin$/^(ConcurrentRetries|RetryRacing)",
	},
	"purge-check-then-act": {
		rule:   "Admin.Purge chooses final tasks and deletes them in one step: a task retried in between is not deleted",
		caught: []string{"Admin/PurgeRacingRetryOneWins"},
		only:   "^Admin$/^PurgeRacing",
	},
	"retry-reads-stale-state": {
		rule:   "a retry that loses the race for a task to another retry is ErrTaskConflict (the task is pending), not ErrDuplicate",
		caught: []string{"Admin/ConcurrentRetriesRestoreOne"},
		only:   "^Admin$/^ConcurrentRetries",
	},
	"tx-commit-does-not-wake": {
		rule:   "a transaction's commit wakes the subscribers of the queues it made tasks available in",
		caught: []string{"Notify/WakesOnTxCommit"},
		only:   "^Notify$/^WakesOnTxCommit",
	},
	"slot-does-not-wake": {
		rule:   "a slot that creates a task with no delay wakes the queue's subscribers",
		caught: []string{"Notify/WakesOnCreateSlot"},
		only:   "^Notify$/^WakesOnCreateSlot",
	},
	"tx-payload-limit-ignored": {
		rule:   "a transactional Create refuses a payload over the driver's limit",
		caught: []string{"Tx/InvalidInputRefused"},
		only:   "^Tx$",
	},
	"tx-key-scoped-to-transaction": {
		rule:   "in a transaction, a unique key is held per queue",
		caught: []string{"Tx/KeysScopedToQueueInTx"},
		only:   "^Tx$",
	},
	"tx-commit-skips-key-check": {
		rule:   "a key taken between a transaction's Create and its commit ends with one holder",
		caught: []string{"Tx/KeyTakenBeforeCommitHasOneHolder"},
		only:   "^Tx$",
	},
	"tx-failed-commit-stores-some": {
		rule:   "a commit that fails stores nothing of its transaction",
		caught: []string{"Tx/KeyTakenBeforeCommitHasOneHolder"},
		only:   "^Tx$",
	},
}

// withSurvey returns m with the entries of surveyBroken added.
func withSurvey(m map[string]brokenDriver) map[string]brokenDriver {
	maps.Copy(m, surveyBroken)
	return m
}

// sharedPayloads keeps, for payload-shared-with-caller, the caller's own
// payload slice of each task, by driver.
var sharedPayloads sync.Map // *broken -> *sync.Map (task ID -> []byte)

// sharePayloads keeps the caller's payload slices of the tasks Create
// stored, as a store that keeps them instead of copies would.
func (b *broken) sharePayloads(tasks []driver.NewTask, res []driver.CreateResult) {
	if b.name != "payload-shared-with-caller" {
		return
	}
	m, _ := sharedPayloads.LoadOrStore(b, &sync.Map{})
	for i, r := range res {
		if r.Err == nil && len(tasks[i].Payload) > 0 {
			m.(*sync.Map).Store(r.ID, tasks[i].Payload)
		}
	}
}

// viewShared shows the payload of r as a store that shares it does: the
// caller's slice, handed out as it is.
func (b *broken) viewShared(r driver.TaskRecord) driver.TaskRecord {
	if b.name != "payload-shared-with-caller" {
		return r
	}
	if m, ok := sharedPayloads.Load(b); ok {
		if p, ok := m.(*sync.Map).Load(r.ID); ok {
			r.Payload = p.([]byte)
		}
	}
	return r
}

// applyValidLeases pings, one at a time, the leases of an invalid batch
// that a ping alone would take, and returns the batch's error: a store
// that checks each item as it goes.
func (b *broken) applyValidLeases(ctx context.Context, leases []driver.Lease, extend time.Duration, invalid error) error {
	if extend > 0 {
		seen := map[int64]bool{}
		for _, l := range leases {
			if l.TaskID > 0 && !seen[l.TaskID] {
				seen[l.TaskID] = true
				_, _ = b.Ping(ctx, []driver.Lease{l}, extend)
			}
		}
	}
	return invalid
}

// cancelValidIDs cancels, one at a time, the tasks of an invalid batch
// that a cancel alone would take, and returns the batch's error.
func (b *broken) cancelValidIDs(ctx context.Context, ids []int64, invalid error) error {
	seen := map[int64]bool{}
	for _, id := range ids {
		if id > 0 && !seen[id] {
			seen[id] = true
			_, _ = b.Cancel(ctx, []int64{id})
		}
	}
	return invalid
}

// claimHoldingBack claims as the memory driver does, then gives back, its
// attempt kept, every task that it took pending with its attempts used up:
// a store that holds such tasks back, which then neither run nor fail.
func (b *broken) claimHoldingBack(ctx context.Context, p driver.ClaimParams) ([]driver.ClaimedTask, error) {
	got, err := b.claim(ctx, p, nil)
	if err != nil {
		return got, err
	}
	kept := got[:0]
	for _, c := range got {
		if c.Task.Attempt <= c.Task.MaxAttempts {
			kept = append(kept, c)
			continue
		}
		o := driver.Outcome{Lease: c.Lease, Kind: driver.Release, KeepAttempt: true}
		if _, err := b.Driver.Finish(ctx, []driver.Outcome{o}); err != nil {
			return nil, err
		}
	}
	return kept, nil
}

// dueByTopPriority reports, for each queue the memory driver found due
// (got), when its highest-priority pending task comes due, or a lease
// ends if sooner: a store that reads the head of its priority index.
func (b *broken) dueByTopPriority(ctx context.Context, queues []string, got []time.Duration) ([]time.Duration, error) {
	now := b.now()
	for i, q := range queues {
		if got[i] <= 0 {
			continue // NotDue, or due now for a lapsed lease or a task of any priority
		}
		recs, err := b.Driver.List(ctx, driver.ListParams{Queue: q, States: []driver.State{driver.StatePending, driver.StateRunning}, Limit: 10000})
		if err != nil {
			return nil, err
		}
		var next time.Time
		top := driver.MinPriority - 1
		for _, r := range recs {
			if r.State == driver.StatePending && r.Priority > top {
				top, next = r.Priority, r.RunAt
			} else if r.State == driver.StatePending && r.Priority == top && r.RunAt.Before(next) {
				next = r.RunAt
			}
		}
		for _, r := range recs {
			if r.State == driver.StateRunning && (next.IsZero() || r.LeaseExpiresAt.Before(next)) {
				next = r.LeaseExpiresAt
			}
		}
		got[i] = max(0, next.Sub(now))
	}
	return got, nil
}

// checkThenAct is the lease check of a store that checks each lease and
// then, a round trip later, writes by task ID alone: a lease that holds at
// the check is given the task's token as it stands at the write, so that a
// claim in between loses its task to the stale lease.
func (b *broken) checkThenAct(leases []driver.Lease) []driver.Lease {
	out := slices.Clone(leases)
	var held []int
	b.mu.Lock()
	for i, l := range out {
		if tok, ok := b.tokens[l.TaskID]; ok && tok == l.Token {
			held = append(held, i)
		}
	}
	b.mu.Unlock()
	if len(held) == 0 {
		return out
	}
	time.Sleep(checkToWrite)
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, i := range held {
		out[i].Token = b.tokens[out[i].TaskID]
	}
	return out
}

// checkToWrite is the round trip between the check of checkThenAct and its
// write.
const checkToWrite = 200 * time.Microsecond

// retryCheckThenAct retries as a store that reads each task (its state,
// and whether another task holds its key) and then, a round trip later,
// writes by task ID alone: a task that passed the check counts as retried
// whatever the write found, so two retries racing for one task, or for
// one key, both succeed. As retry-reads-stale-state it writes as it
// should, but explains a write that did not apply by what it read before
// (the PostgreSQL adapter's bug until the survey's rule): a task that was
// failed then, and that another retry has since made pending, is taken
// for one whose key is held.
func (b *broken) retryCheckThenAct(ctx context.Context, ids []int64) ([]error, error) {
	passed := make([]bool, len(ids))
	for i, id := range ids {
		r, err := b.Driver.Get(ctx, id)
		if err == nil && (r.State == driver.StateFailed || r.State == driver.StateCancelled) {
			passed[i] = r.UniqueKey == "" || b.keyHolder(ctx, driver.NewTask{Queue: r.Queue, UniqueKey: r.UniqueKey}) == 0
		}
	}
	time.Sleep(checkToWrite)
	errs, err := b.Driver.Retry(ctx, ids)
	if err != nil {
		return errs, err
	}
	for i := range errs {
		switch {
		case !passed[i] || errs[i] == nil:
		case b.name == "retry-check-then-act":
			errs[i] = nil
		case errors.Is(errs[i], driver.ErrTaskConflict):
			errs[i] = driver.NewTaskError(ids[i], driver.ErrDuplicate, "its unique key is held by another pending or running task")
		}
	}
	return errs, nil
}

// purgeCheckThenAct purges as a store that lists the final tasks to
// delete and then, a round trip later, deletes them by ID alone: a task
// retried in between is deleted all the same (hidden by the overlay).
func (b *broken) purgeCheckThenAct(ctx context.Context, p driver.PurgeParams) (int, error) {
	p, err := driver.ValidatePurge(p)
	if err != nil {
		return b.Driver.Purge(ctx, p)
	}
	final, err := b.finalTasks(ctx, p.Queue)
	if err != nil {
		return 0, err
	}
	cutoff := b.now().Add(-p.OlderThan)
	var chosen []driver.TaskRecord
	for _, r := range final {
		if !r.FinalizedAt.After(cutoff) {
			chosen = append(chosen, r)
		}
	}
	slices.SortFunc(chosen, func(x, y driver.TaskRecord) int { return x.FinalizedAt.Compare(y.FinalizedAt) })
	chosen = chosen[:min(len(chosen), p.Limit)]
	time.Sleep(checkToWrite)
	n, err := b.Driver.Purge(ctx, p)
	if err != nil {
		return n, err
	}
	for _, r := range chosen {
		if _, err := b.Driver.Get(ctx, r.ID); err == nil {
			b.mu.Lock()
			if _, hidden := b.gone[r.ID]; !hidden {
				b.gone[r.ID] = r
				n++
			}
			b.mu.Unlock()
		}
	}
	return n, nil
}

// muted counts, per driver and queue, the wake-ups that
// tx-commit-does-not-wake drops: one per commit that staged tasks there.
var muted sync.Map // *broken -> *mutedQueues

type mutedQueues struct {
	mu sync.Mutex
	n  map[string]int
}

func (b *broken) mutes() *mutedQueues {
	m, _ := muted.LoadOrStore(b, &mutedQueues{n: map[string]int{}})
	return m.(*mutedQueues)
}

// mute drops the next wake-up of queue.
func (b *broken) mute(queue string) {
	m := b.mutes()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.n[queue]++
}

// subscribeMuted subscribes as the memory driver does, and passes its
// wake-ups on except those that mute asked to drop: the wake-ups of
// commits, as a store that wakes only for its own Create would.
func (b *broken) subscribeMuted(ctx context.Context, queue string) (*driver.Subscription, error) {
	inner, err := b.Driver.Subscribe(ctx, queue)
	if err != nil {
		return nil, err
	}
	wake, done := make(chan struct{}, 1), make(chan struct{})
	m := b.mutes()
	go func() {
		defer close(done)
		for {
			select {
			case <-inner.Done:
				return
			case <-inner.Wake:
				m.mu.Lock()
				drop := m.n[queue] > 0
				if drop {
					m.n[queue]--
				}
				m.mu.Unlock()
				if !drop {
					select {
					case wake <- struct{}{}:
					default:
					}
				}
			}
		}
	}()
	return &driver.Subscription{Wake: wake, Stop: func() { inner.Stop(); <-done }, Done: done}, nil
}
