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
	rows, err := d.db.QueryContext(ctx, d.q.queueList)
	if err != nil {
		return nil, d.translate(ctx, err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var q string
		if err := rows.Scan(&q); err != nil {
			return nil, d.translate(ctx, err)
		}
		out = append(out, q)
	}
	if err := rows.Err(); err != nil {
		return nil, d.translate(ctx, err)
	}
	return out, nil
}
