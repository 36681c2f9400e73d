package memory

import (
	"context"
	"slices"
	"time"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/internal/wakeup"
)

// List lists tasks; see driver.Admin.
func (d *Driver) List(ctx context.Context, p driver.ListParams) ([]driver.TaskRecord, error) {
	p, invalid := driver.ValidateList(p)
	if err := d.begin(ctx, invalid); err != nil {
		return nil, err
	}
	defer d.mu.Unlock()
	q := d.queues[p.Queue]
	if q == nil {
		return []driver.TaskRecord{}, nil
	}
	var ids []int64
	for id, t := range q.all {
		if id > p.AfterID && (len(p.States) == 0 || slices.Contains(p.States, t.rec.State)) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	if len(ids) > p.Limit {
		ids = ids[:p.Limit]
	}
	out := make([]driver.TaskRecord, len(ids))
	for i, id := range ids {
		out[i] = q.all[id].record()
	}
	return out, nil
}

// Count counts tasks by state; see driver.Admin.
func (d *Driver) Count(ctx context.Context, queue string) (map[driver.State]int64, error) {
	if err := d.begin(ctx, driver.ValidateQueueName(queue)); err != nil {
		return nil, err
	}
	defer d.mu.Unlock()
	q := d.queues[queue]
	out := make(map[driver.State]int64, len(driver.States()))
	for _, s := range driver.States() {
		out[s] = 0
		if q != nil {
			out[s] = q.counts.of(s)
		}
	}
	return out, nil
}

// Retry moves failed or cancelled tasks back to pending; see driver.Admin.
func (d *Driver) Retry(ctx context.Context, ids []int64) ([]error, error) {
	woken := make(wakeup.Queues)
	errs, err := d.eachTask(ctx, ids, func(t *task, now time.Time) error {
		if err := driver.CheckRetry(t.rec.ID, t.rec.State); err != nil {
			return err
		}
		q := t.q
		if t.rec.UniqueKey != "" {
			if holder, taken := q.unique[t.rec.UniqueKey]; taken {
				return driver.NewTaskError(t.rec.ID, driver.ErrDuplicate, "its unique key is held by task %d", holder)
			}
			q.unique[t.rec.UniqueKey] = t.rec.ID
		}
		q.removeFinal(t)
		t.rec.Attempt = 0
		t.rec.RunAt = now
		t.rec.FinalizedAt = time.Time{}
		t.rec.Result = nil
		q.setState(t, driver.StatePending)
		q.addPending(t)
		woken.Add(t.rec.Queue)
		return nil
	})
	d.hub.Wake(woken)
	return errs, err
}

// Cancel cancels pending or running tasks; see driver.Admin.
func (d *Driver) Cancel(ctx context.Context, ids []int64) ([]error, error) {
	return d.eachTask(ctx, ids, func(t *task, now time.Time) error {
		if err := driver.CheckCancel(t.rec.ID, t.rec.State); err != nil {
			return err
		}
		t.token++
		t.q.finalize(t, driver.StateCancelled, now)
		return nil
	})
}

// eachTask applies f to the task of each ID, with the lock held, and
// returns f's error per ID, or ErrTaskNotFound for an unknown one.
func (d *Driver) eachTask(ctx context.Context, ids []int64, f func(t *task, now time.Time) error) ([]error, error) {
	if err := d.begin(ctx, driver.ValidateIDs(ids)); err != nil {
		return nil, err
	}
	defer d.mu.Unlock()
	now := d.clock()
	errs := make([]error, len(ids))
	for i, id := range ids {
		if t := d.tasks.get(id); t == nil {
			errs[i] = driver.NewTaskError(id, driver.ErrTaskNotFound, "")
		} else {
			errs[i] = f(t, now)
		}
	}
	return errs, nil
}

// Purge deletes old final tasks; see driver.Admin.
func (d *Driver) Purge(ctx context.Context, p driver.PurgeParams) (int, error) {
	p, invalid := driver.ValidatePurge(p)
	if err := d.begin(ctx, invalid); err != nil {
		return 0, err
	}
	defer d.mu.Unlock()
	q := d.queues[p.Queue]
	if q == nil {
		return 0, nil
	}
	// The final index is in Purge's order: the tasks to delete are its
	// first ones, up to the first finalised after the cutoff.
	cutoff := d.clock().Add(-p.OlderThan)
	old := make([]*task, 0, min(p.Limit, q.final.len()))
	q.final.ascend(func(t *task) bool {
		if len(old) == p.Limit || t.rec.FinalizedAt.After(cutoff) {
			return false
		}
		old = append(old, t)
		return true
	})
	for _, t := range old {
		q.removeFinal(t)
		d.tasks.delete(t.rec.ID)
		delete(q.all, t.rec.ID)
		q.counts.add(t.rec.State, -1)
	}
	return len(old), nil
}
