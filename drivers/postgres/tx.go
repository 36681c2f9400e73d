package postgres

import (
	"context"
	"database/sql"

	"github.com/jackc/pgx/v5"

	"github.com/gosk/gosk/driver"
)

// Tx returns a Creator that creates tasks inside the caller's transaction:
// they appear, and their queues' workers are notified, when and only if tx
// commits. The Creator is good for as long as tx is open; it does not
// commit or roll back.
func (d *Driver) Tx(tx pgx.Tx) driver.Creator {
	return &txCreator{d: d, run: pgxRunner(tx)}
}

// SQLTx is Tx for a *sql.Tx of database/sql: PostgreSQL is the one store
// that applications reach through two client libraries, so its adapter
// binds a Creator to the transaction type of each, in the same way. The
// *sql.Tx must come from pgx's database/sql driver
// (github.com/jackc/pgx/v5/stdlib, registered as "pgx"): the batch travels as PostgreSQL arrays, which that driver passes
// through and others (lib/pq) do not.
func (d *Driver) SQLTx(tx *sql.Tx) driver.Creator {
	return &txCreator{d: d, run: sqlRunner(tx)}
}

// txCreator is a Creator bound to one transaction.
type txCreator struct {
	d   *Driver
	run runner
}

// Create behaves as Driver.Create, inside the transaction: when it
// returns an error, nothing of its batch is in the transaction. A batch
// with unique keys runs in a savepoint, rolled back on error, which also
// leaves the transaction usable; a failed batch without unique keys is
// one failed statement, which leaves the transaction aborted.
func (c *txCreator) Create(ctx context.Context, tasks []driver.NewTask) ([]driver.CreateResult, error) {
	if err := c.d.begin(ctx, driver.ValidateNewTasksMax(tasks, c.d.maxPayload)); err != nil {
		return nil, err
	}
	if !hasUniqueKey(tasks) {
		res, err := c.d.create(ctx, c.run, tasks)
		return res, c.d.translate(err)
	}
	noRows := func(func(...any) error) error { return nil }
	if err := c.run(ctx, "SAVEPOINT gosk_create", nil, noRows); err != nil {
		return nil, c.d.translate(err)
	}
	res, err := c.d.create(ctx, c.run, tasks)
	if err != nil {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), undoTimeout)
		defer cancel()
		if uerr := c.run(rctx, "ROLLBACK TO SAVEPOINT gosk_create", nil, noRows); uerr != nil {
			// The transaction cannot commit the batch either way: its
			// connection is gone or it is aborted.
			return nil, c.d.translate(err)
		}
		_ = c.run(rctx, "RELEASE SAVEPOINT gosk_create", nil, noRows)
		return nil, c.d.translate(err)
	}
	if err := c.run(ctx, "RELEASE SAVEPOINT gosk_create", nil, noRows); err != nil {
		return nil, c.d.translate(err)
	}
	return res, nil
}

func sqlRunner(tx *sql.Tx) runner {
	return func(ctx context.Context, query string, args []any, each func(scan func(dest ...any) error) error) error {
		rows, err := tx.QueryContext(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		return eachRow(rows, each)
	}
}
