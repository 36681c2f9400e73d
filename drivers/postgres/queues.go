package postgres

import (
	"context"

	"github.com/gosk/gosk/driver"
)

var _ driver.QueueLister = (*Driver)(nil)

// Queues names the queues that hold a task or are paused, in byte order;
// see driver.QueueLister. It reads the queue index whole.
func (d *Driver) Queues(ctx context.Context) ([]string, error) {
	if err := d.begin(ctx, nil); err != nil {
		return nil, err
	}
	rows, err := d.pool.Query(ctx, d.q.queueList)
	if err != nil {
		return nil, d.translate(err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var q string
		if err := rows.Scan(&q); err != nil {
			return nil, d.translate(err)
		}
		out = append(out, q)
	}
	return out, d.translate(rows.Err())
}
