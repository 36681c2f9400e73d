package sqlite

import (
	"context"
	"encoding/json"

	sqlite3 "modernc.org/sqlite/lib"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/internal/wakeup"
)

// List lists tasks in ID order; see driver.Admin.
func (d *Driver) List(ctx context.Context, p driver.ListParams) ([]driver.TaskRecord, error) {
	p, invalid := driver.ValidateList(p)
	if err := d.check(ctx, invalid); err != nil {
		return nil, err
	}
	var states any // NULL: every state
	if len(p.States) > 0 {
		b, _ := json.Marshal(p.States)
		states = string(b)
	}
	rows, err := d.db.QueryContext(ctx, d.q.list, p.Queue, p.AfterID, states, p.Limit)
	if err != nil {
		return nil, d.translate(ctx, err)
	}
	defer rows.Close()
	out := []driver.TaskRecord{}
	for rows.Next() {
		var rec driver.TaskRecord
		if err := scanTask(rows, &rec, &rec.Result); err != nil {
			return nil, d.translate(ctx, err)
		}
		out = append(out, rec)
	}
	if err := rows.Err(); err != nil {
		return nil, d.translate(ctx, err)
	}
	return out, nil
}

// Count counts a queue's tasks by state; see driver.Admin.
func (d *Driver) Count(ctx context.Context, queue string) (map[driver.State]int64, error) {
	if err := d.check(ctx, driver.ValidateQueueName(queue)); err != nil {
		return nil, err
	}
	rows, err := d.db.QueryContext(ctx, d.q.count, queue)
	if err != nil {
		return nil, d.translate(ctx, err)
	}
	defer rows.Close()
	out := make(map[driver.State]int64, len(driver.States()))
	for _, s := range driver.States() {
		out[s] = 0
	}
	for rows.Next() {
		var s driver.State
		var n int64
		if err := rows.Scan(&s, &n); err != nil {
			return nil, d.translate(ctx, err)
		}
		out[s] = n
	}
	if err := rows.Err(); err != nil {
		return nil, d.translate(ctx, err)
	}
	return out, nil
}

// Retry moves failed or cancelled tasks back to pending, in one write
// transaction; see driver.Admin. A task whose unique key has since been
// taken by a pending or running task stays as it is and gets
// driver.ErrDuplicate.
func (d *Driver) Retry(ctx context.Context, ids []int64) ([]error, error) {
	if err := d.check(ctx, driver.ValidateIDs(ids)); err != nil {
		return nil, err
	}
	errs := make([]error, len(ids))
	woken := make(wakeup.Queues)
	err := d.write(ctx, func(c conn, now int64) error {
		return d.eachFence(ctx, c, ids, errs, func(i int, f fence) error {
			return driver.CheckRetry(ids[i], f.state)
		}, func(i int, f fence) error {
			// A failed statement is undone alone; the transaction goes on.
			if _, err := c.ExecContext(ctx, d.q.retry, ids[i], now); err != nil {
				if isCode(err, sqlite3.SQLITE_CONSTRAINT) {
					errs[i] = driver.NewTaskError(ids[i], driver.ErrDuplicate, "its unique key is held by another pending or running task")
					return nil
				}
				return err
			}
			woken.Add(f.queue)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	d.hub.Wake(woken)
	return errs, nil
}

// Cancel cancels pending or running tasks, in one write transaction; see
// driver.Admin. A running task's lease token goes up, so its worker gets
// driver.ErrLeaseLost at its next ping or finish.
func (d *Driver) Cancel(ctx context.Context, ids []int64) ([]error, error) {
	if err := d.check(ctx, driver.ValidateIDs(ids)); err != nil {
		return nil, err
	}
	errs := make([]error, len(ids))
	err := d.write(ctx, func(c conn, now int64) error {
		return d.eachFence(ctx, c, ids, errs, func(i int, f fence) error {
			return driver.CheckCancel(ids[i], f.state)
		}, func(i int, _ fence) error {
			_, err := c.ExecContext(ctx, d.q.cancel, ids[i], now)
			return err
		})
	})
	if err != nil {
		return nil, err
	}
	return errs, nil
}

// Purge deletes up to p.Limit old final tasks of a queue, oldest first;
// see driver.Admin.
func (d *Driver) Purge(ctx context.Context, p driver.PurgeParams) (int, error) {
	p, invalid := driver.ValidatePurge(p)
	if err := d.check(ctx, invalid); err != nil {
		return 0, err
	}
	var n int64
	err := d.write(ctx, func(c conn, now int64) error {
		res, err := c.ExecContext(ctx, d.q.purge, p.Queue, now-int64(p.OlderThan), p.Limit)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, err
	}
	return int(n), nil
}
