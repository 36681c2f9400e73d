package bbolt

import (
	"context"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/internal/wakeup"
)

// isPaused reports whether queue is paused.
func (s *store) isPaused(queue string) bool {
	return s.paused.Get([]byte(queue)) != nil
}

// Pause implements driver.Admin: each queue becomes a key of the paused
// bucket, valued with the time of its pause, in one write transaction.
func (d *Driver) Pause(ctx context.Context, queues []string) error {
	leave, err := d.enter()
	if err != nil {
		return err
	}
	defer leave()
	if err := driver.ValidateQueueNames(queues); err != nil {
		return err
	}
	if len(queues) == 0 {
		return ctx.Err()
	}
	return d.update(ctx, func(s *store) error {
		now := d.now()
		for _, q := range queues {
			if s.isPaused(q) {
				continue
			}
			if err := s.paused.Put([]byte(q), appendTime(nil, now)); err != nil {
				return err
			}
		}
		return nil
	})
}

// Resume implements driver.Admin: it deletes the queues' keys from the
// paused bucket and, once that has committed, wakes their subscribers.
func (d *Driver) Resume(ctx context.Context, queues []string) error {
	leave, err := d.enter()
	if err != nil {
		return err
	}
	defer leave()
	if err := driver.ValidateQueueNames(queues); err != nil {
		return err
	}
	if len(queues) == 0 {
		return ctx.Err()
	}
	return d.updateAndWake(ctx, func(s *store, wake wakeup.Queues) error {
		for _, q := range queues {
			if err := s.paused.Delete([]byte(q)); err != nil {
				return err
			}
			wake.Add(q)
		}
		return nil
	})
}

// PausedQueues implements driver.Admin: the keys of the paused bucket,
// which bbolt keeps in byte order.
func (d *Driver) PausedQueues(ctx context.Context) ([]string, error) {
	leave, err := d.enter()
	if err != nil {
		return nil, err
	}
	defer leave()
	out := []string{}
	err = d.view(ctx, func(s *store) error {
		out = out[:0]
		return s.paused.ForEach(func(k, _ []byte) error {
			out = append(out, string(k))
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Due implements driver.DueReporter in one read transaction: per queue,
// its key in the paused bucket and the first keys of its fifo (due and
// delayed) and leases indexes.
func (d *Driver) Due(ctx context.Context, queues []string) ([]time.Duration, error) {
	leave, err := d.enter()
	if err != nil {
		return nil, err
	}
	defer leave()
	if err := driver.ValidateQueueNames(queues); err != nil {
		return nil, err
	}
	out := make([]time.Duration, len(queues))
	err = d.view(ctx, func(s *store) error {
		now := d.now()
		for i, name := range queues {
			out[i] = driver.NotDue
			q, err := s.queue(name, false)
			if err != nil {
				return err
			}
			if q == nil || s.isPaused(name) {
				continue
			}
			next, found := int64(0), false
			for _, index := range [][]byte{firstKey(q.due.fifo), firstKey(q.delayed.fifo), firstKey(q.leases)} {
				if index != nil && (!found || readTime(index) < next) {
					next, found = readTime(index), true
				}
			}
			if found {
				out[i] = max(0, time.Duration(next-now))
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// firstKey returns the first key of a bucket, or nil if it is empty.
func firstKey(b *bolt.Bucket) []byte {
	k, _ := b.Cursor().First()
	return k
}
