package bbolt

import (
	"context"
	"encoding/binary"

	bolt "go.etcd.io/bbolt"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/internal/wakeup"
)

// List implements driver.Admin. It walks the per-state ID buckets of the
// queue (two for pending: due and delayed) from p.AfterID, merging them
// in ID order, and reads only the records it returns.
func (d *Driver) List(ctx context.Context, p driver.ListParams) ([]driver.TaskRecord, error) {
	leave, err := d.enter()
	if err != nil {
		return nil, err
	}
	defer leave()
	if p, err = driver.ValidateList(p); err != nil {
		return nil, err
	}
	states := p.States
	if len(states) == 0 {
		states = driver.States()
	}
	var out []driver.TaskRecord
	err = d.view(ctx, func(s *store) error {
		q, err := s.queue(p.Queue, false)
		if err != nil || q == nil {
			return err
		}
		// One cursor per distinct state, each at its first ID > AfterID.
		type head struct {
			c  *bolt.Cursor
			id int64
		}
		var heads []*head
		seen := make(map[driver.State]bool)
		start := idKey(p.AfterID + 1)
		for _, st := range states {
			if seen[st] {
				continue
			}
			seen[st] = true
			buckets := []*bolt.Bucket{q.states[st]}
			if st == driver.StatePending {
				buckets = append(buckets, q.delayed.ids)
			}
			for _, b := range buckets {
				c := b.Cursor()
				if k, _ := c.Seek(start); k != nil {
					heads = append(heads, &head{c: c, id: int64(binary.BigEndian.Uint64(k))})
				}
			}
		}
		for len(out) < p.Limit && len(heads) > 0 {
			low := 0
			for i, h := range heads {
				if h.id < heads[low].id {
					low = i
				}
			}
			h := heads[low]
			t, err := s.mustLoad(h.id)
			if err != nil {
				return err
			}
			out = append(out, s.withResult(s.withPayload(t)).record())
			if k, _ := h.c.Next(); k != nil {
				h.id = int64(binary.BigEndian.Uint64(k))
			} else {
				heads = append(heads[:low], heads[low+1:]...)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Count implements driver.Admin from the queue's state counters, without
// reading any task.
func (d *Driver) Count(ctx context.Context, queue string) (map[driver.State]int64, error) {
	leave, err := d.enter()
	if err != nil {
		return nil, err
	}
	defer leave()
	if err := driver.ValidateQueueName(queue); err != nil {
		return nil, err
	}
	counts := make(map[driver.State]int64, len(driver.States()))
	err = d.view(ctx, func(s *store) error {
		q, err := s.queue(queue, false)
		for _, st := range driver.States() {
			counts[st] = 0
			if q != nil {
				counts[st] = readCount(q, st)
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return counts, nil
}

// Retry implements driver.Admin. A retried task with a unique key takes
// the key back; if another pending or running task has taken it
// meanwhile, the retry changes nothing and its result is ErrDuplicate.
func (d *Driver) Retry(ctx context.Context, ids []int64) ([]error, error) {
	return d.changeEach(ctx, len(ids), driver.ValidateIDs(ids),
		func(i int) int64 { return ids[i] },
		func(_ int, t *task) error { return driver.CheckRetry(t.id, t.state) },
		func(_ int, t *task, q *queueBuckets, now int64, wake wakeup.Queues) error {
			if t.uniqueKey != "" {
				if holder := uniqueHolder(q, t.uniqueKey); holder != 0 {
					return driver.NewTaskError(t.id, driver.ErrDuplicate, "its unique key is held by task %d", holder)
				}
			}
			t.state = driver.StatePending
			t.attempt = 0
			t.runAt = now
			t.finalizedAt = 0
			wake.Add(t.queue)
			return nil
		})
}

// Cancel implements driver.Admin. Cancelling moves the task's lease token
// on, so its worker's next ping or finish gets ErrLeaseLost.
func (d *Driver) Cancel(ctx context.Context, ids []int64) ([]error, error) {
	return d.changeEach(ctx, len(ids), driver.ValidateIDs(ids),
		func(i int) int64 { return ids[i] },
		func(_ int, t *task) error { return driver.CheckCancel(t.id, t.state) },
		func(_ int, t *task, _ *queueBuckets, now int64, _ wakeup.Queues) error {
			// The token moves on for a pending task too, so that a former
			// holder (one that released it) gets ErrLeaseLost, not the
			// ErrTaskConflict that says its own lease finalised the task.
			t.token++
			t.state = driver.StateCancelled
			t.leaseExp = 0
			t.finalizedAt = now
			return nil
		})
}

// Purge implements driver.Admin, walking the queue's index of final tasks
// from the oldest. bbolt keeps the freed pages for reuse: the file does not
// shrink (see the package doc's Caveats).
func (d *Driver) Purge(ctx context.Context, p driver.PurgeParams) (int, error) {
	leave, err := d.enter()
	if err != nil {
		return 0, err
	}
	defer leave()
	if p, err = driver.ValidatePurge(p); err != nil {
		return 0, err
	}
	// Look first in a read transaction, so that a purge with nothing to
	// do (the usual case for a worker's periodic purge) writes nothing.
	var due bool
	err = d.view(ctx, func(s *store) error {
		q, err := s.queue(p.Queue, false)
		if err != nil || q == nil {
			return err
		}
		due = anyDue(q.final, d.now()-int64(p.OlderThan))
		return nil
	})
	if err != nil || !due {
		return 0, err
	}
	var n int
	err = d.update(ctx, func(s *store) error {
		n = 0
		q, err := s.queue(p.Queue, false)
		if err != nil || q == nil {
			return err
		}
		cutoff := d.now() - int64(p.OlderThan)
		ids := dueIDs(q.final, cutoff, p.Limit)
		for _, id := range ids {
			t, err := s.mustLoad(id)
			if err != nil {
				return err
			}
			if err := unindex(q, t, nil); err != nil {
				return err
			}
			if err := s.remove(id); err != nil {
				return err
			}
		}
		n = len(ids)
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}
