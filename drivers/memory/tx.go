package memory

import (
	"context"
	"fmt"

	"github.com/gosk/gosk/driver"
)

// Begin starts a transaction for creating tasks, the memory store's own
// transaction type: [Driver.Tx] binds a driver.Creator to it, as every
// adapter's Tx does to its store's transaction. Its tasks get their IDs at
// once and are stored, all or none, when it commits.
func (d *Driver) Begin() *Tx {
	return &Tx{d: d}
}

// Tx returns a driver.Creator that stages tasks in tx, a transaction of
// this driver from Begin: they are stored when, and only if, tx commits.
func (d *Driver) Tx(tx *Tx) driver.Creator {
	return txCreator{d: d, tx: tx}
}

// txCreator is the Creator of Driver.Tx.
type txCreator struct {
	d  *Driver
	tx *Tx
}

// Create stages tasks in the transaction; see Tx.create.
func (c txCreator) Create(ctx context.Context, tasks []driver.NewTask) ([]driver.CreateResult, error) {
	var invalid error
	switch {
	case c.tx == nil:
		invalid = fmt.Errorf("%w: transaction is nil", driver.ErrInvalid)
	case c.tx.d != c.d:
		invalid = fmt.Errorf("%w: transaction belongs to another driver", driver.ErrInvalid)
	}
	if invalid != nil {
		// Closed, then invalid, in the port's order.
		return nil, c.d.begin(ctx, invalid)
	}
	return c.tx.create(ctx, tasks)
}

// Tx is a transaction of creates: bind a Creator to it with Driver.Tx.
// It is not safe for concurrent use; a Tx is done after Commit or
// Rollback.
type Tx struct {
	d     *Driver
	tasks []driver.NewTask
	ids   []int64
	done  bool
}

// create validates tasks and stages them with fresh IDs. Unique keys taken
// by stored tasks or by tasks staged earlier in this transaction give
// ErrDuplicate in the result, as Driver.Create does.
func (tx *Tx) create(ctx context.Context, tasks []driver.NewTask) ([]driver.CreateResult, error) {
	d := tx.d
	invalid := d.validate(tasks)
	if tx.done {
		invalid = fmt.Errorf("%w: transaction already ended", driver.ErrInvalid)
	}
	if err := d.begin(ctx, invalid); err != nil {
		return nil, err
	}
	defer d.mu.Unlock()
	results := make([]driver.CreateResult, len(tasks))
	for i, nt := range tasks {
		if nt.UniqueKey != "" {
			if id, ok := tx.uniqueID(nt.Queue, nt.UniqueKey); ok {
				results[i] = driver.CreateResult{ID: id, Err: driver.ErrDuplicate}
				continue
			}
		}
		d.lastID++
		tx.tasks = append(tx.tasks, nt)
		tx.ids = append(tx.ids, d.lastID)
		results[i] = driver.CreateResult{ID: d.lastID}
	}
	return results, nil
}

// uniqueID finds a pending or running task, stored or staged, holding key.
// The driver's lock is held.
func (tx *Tx) uniqueID(queue, key string) (int64, bool) {
	if q := tx.d.queues[queue]; q != nil {
		if id, ok := q.unique[key]; ok {
			return id, true
		}
	}
	for i, nt := range tx.tasks {
		if nt.Queue == queue && nt.UniqueKey == key {
			return tx.ids[i], true
		}
	}
	return 0, false
}

// Commit stores the staged tasks. If a unique key was taken since it was
// staged, Commit stores nothing and returns an error wrapping ErrDuplicate.
func (tx *Tx) Commit() error {
	if tx.done {
		return fmt.Errorf("%w: transaction already ended", driver.ErrInvalid)
	}
	tx.done = true
	d := tx.d
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return driver.ErrClosed
	}
	for _, nt := range tx.tasks {
		if q := d.queues[nt.Queue]; q != nil && nt.UniqueKey != "" {
			if _, taken := q.unique[nt.UniqueKey]; taken {
				return fmt.Errorf("commit: unique key %q of queue %q: %w", nt.UniqueKey, nt.Queue, driver.ErrDuplicate)
			}
		}
	}
	d.insert(tx.tasks, tx.ids)
	return nil
}

// Rollback drops the staged tasks. Rolling back an ended transaction does
// nothing.
func (tx *Tx) Rollback() error {
	tx.done = true
	tx.tasks, tx.ids = nil, nil
	return nil
}
