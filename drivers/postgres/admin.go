package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/internal/storeunit"
	"github.com/gosk/gosk/internal/uniquekey"
)

// List returns tasks of a queue in ID order; see driver.Admin.
func (d *Driver) List(ctx context.Context, p driver.ListParams) ([]driver.TaskRecord, error) {
	p, err := driver.ValidateList(p)
	if err = d.begin(ctx, err); err != nil {
		return nil, err
	}
	states := make([]string, len(p.States))
	for i, s := range p.States {
		states[i] = string(s)
	}
	rows, err := d.pool.Query(ctx, d.q.list, p.Queue, states, p.AfterID, p.Limit)
	if err != nil {
		return nil, d.translate(err)
	}
	defer rows.Close()
	list := []driver.TaskRecord{}
	for rows.Next() {
		var r driver.TaskRecord
		if err := scanRecord(rows.Scan, &r, &r.Result); err != nil {
			return nil, d.translate(err)
		}
		list = append(list, r)
	}
	return list, d.translate(rows.Err())
}

// Count returns how many tasks of queue are in each state; see
// driver.Admin.
func (d *Driver) Count(ctx context.Context, queue string) (map[driver.State]int64, error) {
	if err := d.begin(ctx, driver.ValidateQueueName(queue)); err != nil {
		return nil, err
	}
	counts := make(map[driver.State]int64, len(driver.States()))
	for _, s := range driver.States() {
		counts[s] = 0
	}
	rows, err := d.pool.Query(ctx, d.q.count, queue)
	if err != nil {
		return nil, d.translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		var n int64
		if err := rows.Scan(&s, &n); err != nil {
			return nil, d.translate(err)
		}
		counts[driver.State(s)] = n
	}
	if err := rows.Err(); err != nil {
		return nil, d.translate(err)
	}
	return counts, nil
}

// Retry moves failed or cancelled tasks back to pending in one statement;
// see driver.Admin. A task whose unique key another pending or running
// task holds is left as it is, with driver.ErrDuplicate.
func (d *Driver) Retry(ctx context.Context, ids []int64) ([]error, error) {
	if err := d.begin(ctx, driver.ValidateIDs(ids)); err != nil {
		return nil, err
	}
	errs, err := d.retry(ctx, d.pool, ids)
	for range retryRounds {
		if sqlState(err) != codeUniqueViolation {
			break
		}
		// Two tasks share a unique key: two of the batch, or one of the
		// batch and one that a concurrent retry brought back after this
		// statement's snapshot was taken. Retry them one by one, each
		// statement with a snapshot of its own, so that the first takes
		// the key and the next is refused (ErrDuplicate), in one
		// transaction, so that an error undoes the whole batch.
		errs, err = d.retryEach(ctx, ids)
	}
	return errs, d.translate(err)
}

// retryRounds bounds how many times Retry goes one by one after a
// statement failed on a unique key that a concurrent retry took: each
// round reads what the round before lost to, so a second is rare.
const retryRounds = 3

// retryEach retries ids one statement each, in one transaction.
func (d *Driver) retryEach(ctx context.Context, ids []int64) ([]error, error) {
	errs := make([]error, len(ids))
	err := d.inTx(ctx, func(tx pgx.Tx) error {
		for i, id := range ids {
			one, err := d.retry(ctx, tx, []int64{id})
			if err != nil {
				return err
			}
			errs[i] = one[0]
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return errs, nil
}

func (d *Driver) retry(ctx context.Context, q pgxQuerier, ids []int64) ([]error, error) {
	errs := make([]error, 0, len(ids))
	if len(ids) == 0 {
		return errs, nil
	}
	rows, err := q.Query(ctx, d.q.retry, ids, d.channel)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var applied bool
		var state *string
		if err := rows.Scan(&applied, &state); err != nil {
			return nil, err
		}
		if len(errs) == len(ids) {
			return nil, fmt.Errorf("retry returned more rows than tasks")
		}
		id := ids[len(errs)]
		switch {
		case applied:
			errs = append(errs, nil)
		case state == nil:
			errs = append(errs, driver.NewTaskError(id, driver.ErrTaskNotFound, ""))
		case *state == string(driver.StateFailed) || *state == string(driver.StateCancelled):
			errs = append(errs, driver.NewTaskError(id, driver.ErrDuplicate, uniquekey.Held))
		default:
			errs = append(errs, driver.NewTaskError(id, driver.ErrTaskConflict, "it is %s", *state))
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(errs) != len(ids) {
		return nil, fmt.Errorf("retry returned %d rows for %d tasks", len(errs), len(ids))
	}
	return errs, nil
}

// Cancel moves pending or running tasks to cancelled in one statement and
// takes running tasks' leases away; see driver.Admin.
func (d *Driver) Cancel(ctx context.Context, ids []int64) ([]error, error) {
	if err := d.begin(ctx, driver.ValidateIDs(ids)); err != nil {
		return nil, err
	}
	errs, err := d.perInputErrors(ctx, "cancel", d.q.cancel, []any{ids}, ids, "tasks", driver.ErrTaskConflict)
	return errs, d.translate(err)
}

// Purge deletes up to p.Limit old final tasks in one statement; see
// driver.Admin.
func (d *Driver) Purge(ctx context.Context, p driver.PurgeParams) (int, error) {
	p, err := driver.ValidatePurge(p)
	if err = d.begin(ctx, err); err != nil {
		return 0, err
	}
	tag, err := d.pool.Exec(ctx, d.q.purge, p.Queue, storeunit.Micros(p.OlderThan), p.Limit)
	if err != nil {
		return 0, d.translate(err)
	}
	return int(tag.RowsAffected()), nil
}
