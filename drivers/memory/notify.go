package memory

import (
	"context"

	"github.com/gosk/gosk/driver"
)

// Subscribe listens for tasks becoming available in queue; see
// driver.Notifier.
func (d *Driver) Subscribe(ctx context.Context, queue string) (*driver.Subscription, error) {
	if err := d.begin(ctx, driver.ValidateQueueName(queue)); err != nil {
		return nil, err
	}
	defer d.mu.Unlock()
	return d.hub.Subscribe(ctx, queue)
}
