package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/gosk/gosk/driver"
)

// Pause pauses queues in one statement: each gets a row in
// gosk_paused_queues, which every claim of the queue checks; see
// driver.Admin.
func (d *Driver) Pause(ctx context.Context, queues []string) error {
	if err := d.begin(ctx, driver.ValidateQueueNames(queues)); err != nil {
		return err
	}
	if len(queues) == 0 {
		return nil
	}
	_, err := d.pool.Exec(ctx, d.q.pause, queues)
	return d.translate(err)
}

// Resume ends the pause of queues and notifies each queue's listeners, in
// one statement; see driver.Admin.
func (d *Driver) Resume(ctx context.Context, queues []string) error {
	if err := d.begin(ctx, driver.ValidateQueueNames(queues)); err != nil {
		return err
	}
	if len(queues) == 0 {
		return nil
	}
	_, err := d.pool.Exec(ctx, d.q.resume, queues, d.channel)
	return d.translate(err)
}

// PausedQueues lists the paused queues in byte order; see driver.Admin.
func (d *Driver) PausedQueues(ctx context.Context) ([]string, error) {
	if err := d.begin(ctx, nil); err != nil {
		return nil, err
	}
	return d.names(ctx, d.q.pausedList)
}

// Due tells when each queue next has a task to claim, in one statement on
// the server's clock; see driver.DueReporter.
func (d *Driver) Due(ctx context.Context, queues []string) ([]time.Duration, error) {
	if err := d.begin(ctx, driver.ValidateQueueNames(queues)); err != nil {
		return nil, err
	}
	out := make([]time.Duration, 0, len(queues))
	if len(queues) == 0 {
		return out, nil
	}
	rows, err := d.pool.Query(ctx, d.q.due, queues)
	if err != nil {
		return nil, d.translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		var micros pgtype.Int8
		if err := rows.Scan(&micros); err != nil {
			return nil, d.translate(err)
		}
		due := driver.NotDue
		if micros.Valid {
			due = max(0, time.Duration(micros.Int64)*time.Microsecond)
		}
		out = append(out, due)
	}
	if err := rows.Err(); err != nil {
		return nil, d.translate(err)
	}
	if len(out) != len(queues) {
		return nil, fmt.Errorf("gosk/postgres: due returned %d rows for %d queues", len(out), len(queues))
	}
	return out, nil
}
