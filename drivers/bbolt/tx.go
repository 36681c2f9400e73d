package bbolt

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/internal/wakeup"
)

// Tx returns a driver.Creator that stores tasks inside tx, a
// writable transaction of the driver's database (see DB): the tasks
// appear when, and only if, tx commits, together with whatever else the
// caller wrote in it. Subscribers are woken once tx has committed.
//
// A Create that returns an error leaves nothing of its batch in tx: bbolt
// has no savepoints, so it deletes what it wrote before returning.
//
// The creator is valid while tx is open. Calling the Driver's own methods
// that write (Create, Claim, ...) while holding tx deadlocks, as with any
// nested bbolt write transaction: use the creator instead.
func (d *Driver) Tx(tx *bolt.Tx) driver.Creator {
	return &txCreator{d: d, tx: tx}
}

type txCreator struct {
	d  *Driver
	tx *bolt.Tx
}

// Create implements driver.Creator inside the caller's transaction.
func (c *txCreator) Create(ctx context.Context, tasks []driver.NewTask) ([]driver.CreateResult, error) {
	// No d.enter here: Close waits for calls in progress, and a Close
	// waiting on this call while the caller's open transaction holds
	// Close's db.Close would deadlock. bbolt itself refuses a closed tx.
	if c.d.closed.Load() {
		return nil, driver.ErrClosed
	}
	switch {
	case c.tx == nil:
		return nil, fmt.Errorf("%w: gosk/bbolt: transaction is nil", driver.ErrInvalid)
	case c.tx.DB() == nil:
		return nil, fmt.Errorf("%w: gosk/bbolt: transaction has ended", driver.ErrInvalid)
	case c.tx.DB() != c.d.db:
		return nil, fmt.Errorf("%w: gosk/bbolt: transaction belongs to another database than the driver's", driver.ErrInvalid)
	case !c.tx.Writable():
		return nil, fmt.Errorf("%w: gosk/bbolt: transaction is read-only", driver.ErrInvalid)
	}
	if err := driver.ValidateNewTasksMax(tasks, c.d.maxPayload); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res := make([]driver.CreateResult, len(tasks))
	if len(tasks) == 0 {
		return res, nil
	}
	s, err := openStore(c.tx, c.d.bucket)
	if err != nil {
		return nil, translate(err)
	}
	wake := make(wakeup.Queues)
	var log createLog
	if err := c.d.create(s, c.d.now(), tasks, res, wake, &log); err != nil {
		// bbolt has no savepoint: take back what the create wrote, so that
		// tx holds nothing of the batch if the caller commits it.
		if uerr := log.undo(s); uerr != nil {
			return nil, fmt.Errorf("%w (and undoing the create's writes failed, so tx must be rolled back: %w)", translate(err), uerr)
		}
		return nil, translate(err)
	}
	if len(wake) > 0 {
		c.tx.OnCommit(func() { c.d.hub.Wake(wake) })
	}
	return res, nil
}

// createLog is what a create wrote, from which undo takes it back: every
// write of a new pending task is a key of its own, or a count.
type createLog struct {
	seq    uint64           // the task sequence before the create
	counts map[string]int64 // each touched queue's pending count before
	made   []string         // queues whose buckets the create made
	tasks  []*task          // tasks whose writes began, in order
}

// queue notes, before the create touches queue, whether it must make its
// buckets.
func (l *createLog) queue(s *store, name string) {
	if _, seen := l.counts[name]; seen {
		return
	}
	if _, open := s.qs[name]; !open && s.queues.Bucket([]byte(name)) == nil {
		l.made = append(l.made, name)
	}
}

// count notes a queue's pending count before the create's first task in
// it.
func (l *createLog) count(q *queueBuckets, name string) {
	if l.counts == nil {
		l.counts = make(map[string]int64)
	}
	if _, seen := l.counts[name]; !seen {
		l.counts[name] = readCount(q, driver.StatePending)
	}
}

// undo deletes what the create wrote: each task's record, payload, index
// entries and unique key (deleting a key that was never written does
// nothing), the queues' pending counts as they were, the buckets of
// queues the create made, and the task sequence.
func (l *createLog) undo(s *store) error {
	var errs []error
	for _, t := range slices.Backward(l.tasks) {
		q := s.qs[t.queue]
		if q == nil {
			continue
		}
		errs = append(errs,
			q.dropPending(t),
			s.remove(t.id))
		if t.uniqueKey != "" && uniqueHolder(q, t.uniqueKey) == t.id {
			errs = append(errs, q.unique.Delete([]byte(t.uniqueKey)))
		}
	}
	for name, n := range l.counts {
		if q := s.qs[name]; q != nil {
			errs = append(errs, q.counts.Put([]byte(driver.StatePending), binary.BigEndian.AppendUint64(nil, uint64(n))))
		}
	}
	for _, name := range l.made {
		delete(s.qs, name)
		errs = append(errs, s.queues.DeleteBucket([]byte(name)))
	}
	errs = append(errs, s.tasks.SetSequence(l.seq))
	return errors.Join(errs...)
}
