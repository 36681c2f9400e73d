package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/internal/wakeup"
)

// Pause pauses queues, in one write transaction; see driver.Admin. The
// pause is a row of the paused_queues table, so every driver on the file
// sees it.
func (d *Driver) Pause(ctx context.Context, queues []string) error {
	if err := d.check(ctx, driver.ValidateQueueNames(queues)); err != nil {
		return err
	}
	if len(queues) == 0 {
		return nil
	}
	return d.write(ctx, func(c conn, now int64) error {
		for _, q := range queues {
			if _, err := c.ExecContext(ctx, d.q.pause, q, now); err != nil {
				return err
			}
		}
		return nil
	})
}

// Resume ends the pause of queues, in one write transaction, and wakes
// their subscribers in this process; see driver.Admin. Subscribers in
// other processes learn of it from their watch of the file's commits.
func (d *Driver) Resume(ctx context.Context, queues []string) error {
	if err := d.check(ctx, driver.ValidateQueueNames(queues)); err != nil {
		return err
	}
	if len(queues) == 0 {
		return nil
	}
	err := d.write(ctx, func(c conn, _ int64) error {
		for _, q := range queues {
			if _, err := c.ExecContext(ctx, d.q.resume, q); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	woken := make(wakeup.Queues, len(queues))
	for _, q := range queues {
		woken.Add(q)
	}
	d.hub.Wake(woken)
	return nil
}

// PausedQueues lists the paused queues, sorted; see driver.Admin.
func (d *Driver) PausedQueues(ctx context.Context) ([]string, error) {
	if err := d.check(ctx, nil); err != nil {
		return nil, err
	}
	return d.names(ctx, d.q.pausedList)
}

// paused reports whether queue is paused, read on c.
func (d *Driver) paused(ctx context.Context, c conn, queue string) (bool, error) {
	var one int
	err := c.QueryRowContext(ctx, d.q.isPaused, queue).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// Due tells when each queue next has a task to claim, in one statement;
// see driver.DueReporter.
func (d *Driver) Due(ctx context.Context, queues []string) ([]time.Duration, error) {
	if err := d.check(ctx, driver.ValidateQueueNames(queues)); err != nil {
		return nil, err
	}
	out := make([]time.Duration, len(queues))
	if len(queues) == 0 {
		return out, nil
	}
	names, _ := json.Marshal(queues)
	rows, err := d.db.QueryContext(ctx, d.q.due, string(names))
	if err != nil {
		return nil, d.translate(ctx, err)
	}
	defer rows.Close()
	now := d.clock().UnixNano()
	n := 0
	for rows.Next() {
		var i int
		var next sql.NullInt64
		if err := rows.Scan(&i, &next); err != nil {
			return nil, d.translate(ctx, err)
		}
		if i != n {
			return nil, fmt.Errorf("gosk/sqlite: due: row %d for queue %d", n, i)
		}
		out[i] = driver.NotDue
		if next.Valid {
			out[i] = max(0, time.Duration(next.Int64-now))
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return nil, d.translate(ctx, err)
	}
	if n != len(queues) {
		return nil, fmt.Errorf("gosk/sqlite: due: %d rows for %d queues", n, len(queues))
	}
	return out, nil
}
