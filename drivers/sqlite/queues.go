package sqlite

import (
	"context"

	"github.com/gosk/gosk/driver"
)

var _ driver.QueueLister = (*Driver)(nil)

// Queues names the queues that hold a task or are paused, sorted; see
// driver.QueueLister. It reads the queue index whole.
func (d *Driver) Queues(ctx context.Context) ([]string, error) {
	if err := d.check(ctx, nil); err != nil {
		return nil, err
	}
	return d.names(ctx, d.q.queueList)
}

// names runs query, which selects one text column, and returns its rows
// (an empty slice, not nil, when there are none).
func (d *Driver) names(ctx context.Context, query string) ([]string, error) {
	rows, err := d.db.QueryContext(ctx, query)
	if err != nil {
		return nil, d.translate(ctx, err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, d.translate(ctx, err)
		}
		out = append(out, name)
	}
	if err := rows.Err(); err != nil {
		return nil, d.translate(ctx, err)
	}
	return out, nil
}
