package bbolt

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/internal/storeunit"
	"github.com/gosk/gosk/internal/wakeup"
)

// Create implements driver.Driver: the whole batch is stored in one write
// transaction.
func (d *Driver) Create(ctx context.Context, tasks []driver.NewTask) ([]driver.CreateResult, error) {
	leave, err := d.enter()
	if err != nil {
		return nil, err
	}
	defer leave()
	if err := driver.ValidateNewTasksMax(tasks, d.maxPayload); err != nil {
		return nil, err
	}
	res := make([]driver.CreateResult, len(tasks))
	if len(tasks) == 0 {
		return res, nil
	}
	err = d.updateAndWake(ctx, func(s *store, wake wakeup.Queues) error {
		return d.create(s, d.now(), tasks, res, wake, nil)
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// create stores tasks in s, filling res and noting in wake the queues that
// got a task available at once. It overwrites every item of res, so it can
// run again after a rollback. If log is not nil, create notes in it what
// it writes, so that log.undo can take a failed create back where no
// rollback will (in the caller's transaction).
func (d *Driver) create(s *store, now int64, tasks []driver.NewTask, res []driver.CreateResult, wake wakeup.Queues, log *createLog) error {
	if log != nil {
		log.seq = s.tasks.Sequence()
	}
	for i, nt := range tasks {
		if log != nil {
			log.queue(s, nt.Queue)
		}
		q, err := s.queue(nt.Queue, true)
		if err != nil {
			return err
		}
		if log != nil {
			log.count(q, nt.Queue)
		}
		if nt.UniqueKey != "" {
			if id := uniqueHolder(q, nt.UniqueKey); id != 0 {
				res[i] = driver.CreateResult{ID: id, Err: driver.ErrDuplicate}
				continue
			}
		}
		id, err := s.nextID()
		if err != nil {
			return err
		}
		t := &task{
			id:          id,
			queue:       nt.Queue,
			payload:     nt.Payload,
			priority:    nt.Priority,
			uniqueKey:   nt.UniqueKey,
			state:       driver.StatePending,
			maxAttempts: nt.MaxAttempts,
			createdAt:   now,
			runAt:       storeunit.NanosAfter(now, nt.Delay),
		}
		if log != nil {
			log.tasks = append(log.tasks, t)
		}
		if err := s.savePayload(t); err != nil {
			return err
		}
		if err := s.move(q, nil, t, now); err != nil {
			return err
		}
		res[i] = driver.CreateResult{ID: t.id}
		if nt.Delay == 0 {
			wake.Add(nt.Queue)
		}
		if d.afterCreateTask != nil {
			if err := d.afterCreateTask(tasks, i); err != nil {
				return err
			}
		}
	}
	return nil
}

// Claim implements driver.Driver. It fails every task of the queue whose
// lease ran out on its last attempt, then hands out tasks in p.Rule order
// from the available pending tasks and the tasks whose lease ran out,
// merged by the rule's keys (priority, run-at, ID). Claims that find
// nothing to do use a read transaction only, so idle workers polling the
// store cost no write and no fsync.
func (d *Driver) Claim(ctx context.Context, p driver.ClaimParams) ([]driver.ClaimedTask, error) {
	leave, err := d.enter()
	if err != nil {
		return nil, err
	}
	defer leave()
	if p, err = driver.ValidateClaim(p); err != nil {
		return nil, err
	}
	var work bool
	err = d.view(ctx, func(s *store) error {
		q, err := s.queue(p.Queue, false)
		work = q != nil && !s.isPaused(p.Queue) && claimable(q, d.now())
		return err
	})
	if err != nil || !work {
		return nil, err
	}
	var out []driver.ClaimedTask
	err = d.update(ctx, func(s *store) error {
		out = out[:0]
		q, err := s.queue(p.Queue, false)
		if err != nil || q == nil || s.isPaused(p.Queue) {
			return err
		}
		out, err = claim(s, q, d.now(), p, out)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// claimable reports whether q has an expired lease or an available pending
// task.
func claimable(q *queueBuckets, now int64) bool {
	return anyDue(q.leases, now) || q.anyPendingDue(now)
}

func claim(s *store, q *queueBuckets, now int64, p driver.ClaimParams, out []driver.ClaimedTask) ([]driver.ClaimedTask, error) {
	// Every lease that ran out: one on its task's last attempt fails (it
	// does not count against the limit); the others are candidates, in
	// their place by the rule as pending tasks would be. Keys are gathered
	// before the index is changed, as a bbolt cursor must not see its
	// bucket change under it.
	var candidates []*task
	for _, id := range dueIDs(q.leases, now, math.MaxInt) {
		t, err := s.mustLoad(id)
		if err != nil {
			return out, err
		}
		if t.attempt < t.maxAttempts {
			candidates = append(candidates, t)
			continue
		}
		old := *t
		t.token++
		t.state = driver.StateFailed
		t.lastError = driver.LeaseExpiredMessage
		t.leaseExp = 0
		t.finalizedAt = now
		if err := s.move(q, &old, t, now); err != nil {
			return out, err
		}
	}
	// The first tasks by the rule of each set of pending tasks: the first
	// p.Limit of both together are among them.
	for _, set := range q.pendingSets() {
		for _, id := range set.available(now, p.Rule, p.Limit) {
			t, err := s.mustLoad(id)
			if err != nil {
				return out, err
			}
			candidates = append(candidates, t)
		}
	}
	slices.SortFunc(candidates, ruleOrder(p.Rule))
	lease := storeunit.NanosAfter(now, p.Lease)
	for _, t := range candidates[:min(len(candidates), p.Limit)] {
		old := *t
		t.state = driver.StateRunning
		t.attempt++
		t.token++
		t.leaseExp = lease
		if err := s.move(q, &old, t, now); err != nil {
			return out, err
		}
		out = append(out, claimed(s, t))
	}
	return out, nil
}

// ruleOrder returns the comparison that sorts tasks in the rule's order:
// by run-at then ID (Fifo), the reverse (Lifo), or by priority, highest
// first, then as Fifo (Priority).
func ruleOrder(r driver.PriorityRule) func(a, b *task) int {
	fifo := func(a, b *task) int {
		if c := cmp.Compare(a.runAt, b.runAt); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	}
	switch r {
	case driver.Lifo:
		return func(a, b *task) int { return fifo(b, a) }
	case driver.Priority:
		return func(a, b *task) int {
			if c := cmp.Compare(b.priority, a.priority); c != 0 {
				return c
			}
			return fifo(a, b)
		}
	}
	return fifo
}

func claimed(s *store, t *task) driver.ClaimedTask {
	return driver.ClaimedTask{Task: s.withPayload(t).record(), Lease: driver.Lease{TaskID: t.id, Token: t.token}}
}

// mustLoad reads a task that an index names; a missing record means the
// store is inconsistent.
func (s *store) mustLoad(id int64) (*task, error) {
	t, err := s.load(id)
	if err == nil && t == nil {
		err = fmt.Errorf("%w: task %d is indexed but has no record", errCorrupt, id)
	}
	return t, err
}

// Ping implements driver.Driver.
func (d *Driver) Ping(ctx context.Context, leases []driver.Lease, extend time.Duration) ([]error, error) {
	return d.changeEach(ctx, len(leases), driver.ValidatePing(leases, extend),
		func(i int) int64 { return leases[i].TaskID },
		func(i int, t *task) error {
			return leaseError(t.id, driver.CheckPing(t.state, t.token, leases[i].Token))
		},
		func(_ int, t *task, _ *queueBuckets, now int64, _ wakeup.Queues) error {
			t.leaseExp = storeunit.NanosAfter(now, extend)
			return nil
		})
}

// Finish implements driver.Driver.
func (d *Driver) Finish(ctx context.Context, outcomes []driver.Outcome) ([]error, error) {
	return d.changeEach(ctx, len(outcomes), driver.ValidateOutcomes(outcomes),
		func(i int) int64 { return outcomes[i].Lease.TaskID },
		func(i int, t *task) error {
			return leaseError(t.id, driver.CheckLease(t.state, t.token, outcomes[i].Lease.Token))
		},
		func(i int, t *task, _ *queueBuckets, now int64, wake wakeup.Queues) error {
			o := outcomes[i]
			if o.Message != "" {
				t.lastError = o.Message
			}
			t.leaseExp = 0
			switch o.Kind {
			case driver.Complete:
				t.state, t.finalizedAt = driver.StateCompleted, now
				t.result = o.Result
			case driver.Cancel:
				t.state, t.finalizedAt = driver.StateCancelled, now
			case driver.Fail:
				t.state, t.finalizedAt = driver.StateFailed, now
			case driver.Release:
				t.state = driver.StatePending
				t.runAt = storeunit.NanosAfter(now, o.Delay)
				if o.KeepAttempt && t.attempt > 0 {
					t.attempt--
				}
				if o.Delay == 0 {
					wake.Add(t.queue)
				}
			}
			return nil
		})
}

// leaseError is the per-item error of a lease check's result (nil stays
// nil).
func leaseError(id int64, err error) error {
	if err == nil {
		return nil
	}
	return driver.NewTaskError(id, err, "")
}

// Get implements driver.Driver.
func (d *Driver) Get(ctx context.Context, id int64) (driver.TaskRecord, error) {
	leave, err := d.enter()
	if err != nil {
		return driver.TaskRecord{}, err
	}
	defer leave()
	if err := driver.ValidateID(id); err != nil {
		return driver.TaskRecord{}, err
	}
	var rec driver.TaskRecord
	err = d.view(ctx, func(s *store) error {
		t, err := s.load(id)
		if err != nil {
			return err
		}
		if t == nil {
			return driver.NewTaskError(id, driver.ErrTaskNotFound, "")
		}
		rec = s.withResult(s.withPayload(t)).record()
		return nil
	})
	return rec, err
}
