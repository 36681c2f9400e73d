package bbolt

import (
	"context"

	"github.com/gosk/gosk/driver"
)

// Subscribe implements driver.Notifier: the subscription's Wake receives a
// value after a commit that made a task of queue available at once
// (created or released with no delay, or retried). It is in-process only:
// another process using the same file is not woken (it cannot be: bbolt
// lets one process have the file open at a time).
func (d *Driver) Subscribe(ctx context.Context, queue string) (*driver.Subscription, error) {
	leave, err := d.enter()
	if err != nil {
		return nil, err
	}
	defer leave()
	if err := driver.ValidateQueueName(queue); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return d.hub.Subscribe(ctx, queue)
}
