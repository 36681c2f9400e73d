package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/gosk/gosk/driver"
)

// Tx returns a driver.Creator whose tasks are written inside the caller's
// transaction tx, which must belong to this driver's database: they appear
// when, and only if, tx commits. Subscribers are woken at once (a hint: a
// worker that looks before the commit finds nothing, and polls again).
//
// tx takes the file's write lock at its first write and holds it until it
// ends, and the driver's writes (every worker's claims, pings and outcomes)
// wait for it: keep it short, and do not call the driver's own write
// methods from the goroutine that holds it open, which would wait for
// itself until its context is done. Start tx with its writes: a
// transaction that reads first and writes later fails with SQLITE_BUSY if
// another connection wrote in between.
func (d *Driver) Tx(tx *sql.Tx) driver.Creator {
	return &txCreator{d: d, tx: tx}
}

// txCreator creates tasks inside one of the caller's transactions; see
// Driver.Tx. It is as safe for concurrent use as its *sql.Tx.
type txCreator struct {
	d  *Driver
	tx *sql.Tx
}

// Create stores tasks inside the transaction; see driver.Creator.
func (t *txCreator) Create(ctx context.Context, tasks []driver.NewTask) ([]driver.CreateResult, error) {
	d := t.d
	invalid := driver.ValidateNewTasksMax(tasks, d.maxPayload)
	if t.tx == nil {
		invalid = fmt.Errorf("%w: Tx was given a nil *sql.Tx", driver.ErrInvalid)
	}
	if err := d.check(ctx, invalid); err != nil {
		return nil, err
	}
	// A savepoint keeps the batch all-or-nothing without ending the
	// caller's transaction.
	if _, err := t.tx.ExecContext(ctx, "SAVEPOINT gosk_create"); err != nil {
		return nil, d.translate(ctx, err)
	}
	results, woken, err := d.insert(ctx, t.tx, tasks, d.clock().UnixNano())
	if err == nil && d.afterCreateInsert != nil {
		err = d.afterCreateInsert(tasks)
	}
	if err != nil {
		_, _ = t.tx.ExecContext(context.WithoutCancel(ctx), "ROLLBACK TO gosk_create")
		_, _ = t.tx.ExecContext(context.WithoutCancel(ctx), "RELEASE gosk_create")
		return nil, d.translate(ctx, err)
	}
	if _, err := t.tx.ExecContext(ctx, "RELEASE gosk_create"); err != nil {
		return nil, d.translate(ctx, err)
	}
	d.hub.Wake(woken)
	return results, nil
}
