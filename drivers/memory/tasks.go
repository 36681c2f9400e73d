package memory

import (
	"context"
	"slices"
	"time"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/internal/wakeup"
)

// Create stores tasks; see driver.Driver.
func (d *Driver) Create(ctx context.Context, tasks []driver.NewTask) ([]driver.CreateResult, error) {
	if err := d.begin(ctx, d.validate(tasks)); err != nil {
		return nil, err
	}
	defer d.mu.Unlock()
	ids := make([]int64, len(tasks))
	for i := range ids {
		d.lastID++
		ids[i] = d.lastID
	}
	return d.insert(tasks, ids), nil
}

// insert stores tasks under the given IDs, with the lock held.
func (d *Driver) insert(tasks []driver.NewTask, ids []int64) []driver.CreateResult {
	now := d.clock()
	results := make([]driver.CreateResult, len(tasks))
	woken := make(wakeup.Queues)
	for i, nt := range tasks {
		q := d.queue(nt.Queue)
		if nt.UniqueKey != "" {
			if id, taken := q.unique[nt.UniqueKey]; taken {
				results[i] = driver.CreateResult{ID: id, Err: driver.ErrDuplicate}
				continue
			}
		}
		t := &task{rec: driver.TaskRecord{
			ID:          ids[i],
			Queue:       nt.Queue,
			Payload:     slices.Clone(nt.Payload),
			Priority:    nt.Priority,
			UniqueKey:   nt.UniqueKey,
			State:       driver.StatePending,
			MaxAttempts: nt.MaxAttempts,
			CreatedAt:   now,
			RunAt:       now.Add(nt.Delay),
		}, q: q}
		d.tasks.put(t)
		q.all[t.rec.ID] = t
		q.counts.add(driver.StatePending, 1)
		if nt.UniqueKey != "" {
			q.unique[nt.UniqueKey] = t.rec.ID
		}
		q.addPending(t)
		if nt.Delay == 0 {
			woken.Add(nt.Queue)
		}
		results[i] = driver.CreateResult{ID: t.rec.ID}
	}
	d.hub.Wake(woken)
	return results
}

// Claim leases available tasks; see driver.Driver.
func (d *Driver) Claim(ctx context.Context, p driver.ClaimParams) ([]driver.ClaimedTask, error) {
	p, invalid := driver.ValidateClaim(p)
	if err := d.begin(ctx, invalid); err != nil {
		return nil, err
	}
	defer d.mu.Unlock()
	q := d.queues[p.Queue]
	if _, paused := d.paused[p.Queue]; paused || q == nil {
		return []driver.ClaimedTask{}, nil
	}
	now := d.clock()

	// Leases that ran out: fail those on their last attempt, offer the rest.
	candidates := make([]*task, 0, min(p.Limit, len(q.running.tasks)+q.byTime.len()))
	candidates = q.running.expired(candidates, now, func(t *task) {
		t.token++
		t.rec.LastError = driver.LeaseExpiredMessage
		q.finalize(t, driver.StateFailed, now)
	})
	expired := len(candidates)
	candidates = q.available(candidates, p.Rule, p.Limit, now)
	if expired > 0 {
		// The pending tasks come in the rule's order; those whose lease
		// ran out take their places among them.
		slices.SortFunc(candidates, ruleOrder(p.Rule))
	}
	if len(candidates) > p.Limit {
		candidates = candidates[:p.Limit]
	}

	claimed := make([]driver.ClaimedTask, len(candidates))
	for i, t := range candidates {
		if t.rec.State == driver.StatePending {
			q.removePending(t)
			q.running.add(t)
			q.setState(t, driver.StateRunning)
		}
		t.rec.Attempt++
		t.token++
		t.rec.LeaseExpiresAt = now.Add(p.Lease)
		q.running.leased(t.rec.LeaseExpiresAt)
		t.copyTo(&claimed[i].Task)
		claimed[i].Lease = driver.Lease{TaskID: t.rec.ID, Token: t.token}
	}
	return claimed, nil
}

// Ping extends leases; see driver.Driver.
func (d *Driver) Ping(ctx context.Context, leases []driver.Lease, extend time.Duration) ([]error, error) {
	if err := d.begin(ctx, driver.ValidatePing(leases, extend)); err != nil {
		return nil, err
	}
	defer d.mu.Unlock()
	now := d.clock()
	errs := make([]error, len(leases))
	for i, l := range leases {
		t := d.tasks.get(l.TaskID)
		if t == nil {
			errs[i] = driver.NewTaskError(l.TaskID, driver.ErrTaskNotFound, "")
			continue
		}
		if err := driver.CheckPing(t.rec.State, t.token, l.Token); err != nil {
			errs[i] = driver.NewTaskError(l.TaskID, err, "")
			continue
		}
		t.rec.LeaseExpiresAt = now.Add(extend)
		t.q.running.leased(t.rec.LeaseExpiresAt)
	}
	return errs, nil
}

// Finish applies outcomes; see driver.Driver.
func (d *Driver) Finish(ctx context.Context, outcomes []driver.Outcome) ([]error, error) {
	if err := d.begin(ctx, driver.ValidateOutcomes(outcomes)); err != nil {
		return nil, err
	}
	defer d.mu.Unlock()
	now := d.clock()
	errs := make([]error, len(outcomes))
	woken := make(wakeup.Queues)
	for i, o := range outcomes {
		t := d.tasks.get(o.Lease.TaskID)
		if t == nil {
			errs[i] = driver.NewTaskError(o.Lease.TaskID, driver.ErrTaskNotFound, "")
			continue
		}
		if err := driver.CheckLease(t.rec.State, t.token, o.Lease.Token); err != nil {
			errs[i] = driver.NewTaskError(o.Lease.TaskID, err, "")
			continue
		}
		q := t.q
		if o.Message != "" {
			t.rec.LastError = o.Message
		}
		switch o.Kind {
		case driver.Complete:
			q.finalize(t, driver.StateCompleted, now)
			if len(o.Result) > 0 {
				t.rec.Result = slices.Clone(o.Result)
			}
		case driver.Cancel:
			q.finalize(t, driver.StateCancelled, now)
		case driver.Fail:
			q.finalize(t, driver.StateFailed, now)
		case driver.Release:
			if o.KeepAttempt {
				t.rec.Attempt--
			}
			q.running.remove(t)
			t.rec.LeaseExpiresAt = time.Time{}
			t.rec.RunAt = now.Add(o.Delay)
			q.setState(t, driver.StatePending)
			q.addPending(t)
			if o.Delay == 0 {
				woken.Add(t.rec.Queue)
			}
		}
	}
	d.hub.Wake(woken)
	return errs, nil
}

// Get returns a task's record; see driver.Driver.
func (d *Driver) Get(ctx context.Context, id int64) (driver.TaskRecord, error) {
	if err := d.begin(ctx, driver.ValidateID(id)); err != nil {
		return driver.TaskRecord{}, err
	}
	defer d.mu.Unlock()
	t := d.tasks.get(id)
	if t == nil {
		return driver.TaskRecord{}, driver.NewTaskError(id, driver.ErrTaskNotFound, "")
	}
	return t.record(), nil
}
