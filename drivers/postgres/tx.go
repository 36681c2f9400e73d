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

// SQLTx is Tx for a *sql.Tx of database/sql, which must come from pgx's
// database/sql driver (github.com/jackc/pgx/v5/stdlib, registered as
// "pgx"): the batch travels as PostgreSQL arrays, which that driver passes
// through and others (lib/pq) do not.
func (d *Driver) SQLTx(tx *sql.Tx) driver.Creator {
	return &txCreator{d: d, run: sqlRunner(tx)}
}

// txCreator is a Creator bound to one transaction.
type txCreator struct {
	d   *Driver
	run runner
}

// Create behaves as Driver.Create, inside the transaction.
func (c *txCreator) Create(ctx context.Context, tasks []driver.NewTask) ([]driver.CreateResult, error) {
	if c.d.closed.Load() {
		return nil, errClosed
	}
	res, err := c.d.create(ctx, c.run, tasks)
	return res, c.d.translate(err)
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
