package bbolt

import (
	"context"
	"fmt"

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
