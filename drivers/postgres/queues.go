package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/gosk/gosk/driver"
)

var _ driver.QueueLister = (*Driver)(nil)

// Queues names the queues that hold a task or are paused, in byte order;
// see driver.QueueLister. It reads the queue index whole.
func (d *Driver) Queues(ctx context.Context) ([]string, error) {
	if err := d.begin(ctx, nil); err != nil {
		return nil, err
	}
	return d.names(ctx, d.q.queueList)
}

// names runs query, which selects one text column, and returns its rows
// (an empty slice, not nil, when there are none).
func (d *Driver) names(ctx context.Context, query string) ([]string, error) {
	rows, err := d.pool.Query(ctx, query)
	if err != nil {
		return nil, d.translate(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return out, d.translate(err)
}
