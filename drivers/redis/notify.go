package redis

import (
	"context"
	"sync"

	"github.com/gosk/gosk/driver"
)

// Subscribe listens on the queue's pub/sub channel, which the scripts
// publish to when a task becomes available at once (created or released
// with no delay, or retried). It returns once the server has confirmed the
// subscription, so a task created after Subscribe returns always wakes it.
// Each subscription holds one connection and one goroutine, which end when
// Stop is called, ctx is done or the driver is closed.
func (d *Driver) Subscribe(ctx context.Context, queue string) (*driver.Subscription, error) {
	if err := d.checkOpen(); err != nil {
		return nil, err
	}
	if err := driver.ValidateQueueName(queue); err != nil {
		return nil, err
	}
	ps := d.client.Subscribe(ctx, d.keys.channel(queue))
	if _, err := ps.Receive(ctx); err != nil {
		_ = ps.Close()
		return nil, translate(err)
	}
	// Register under the lock that Close takes, so Close waits for this
	// subscription or this call sees the driver closed.
	d.subsMu.Lock()
	if d.closed.Load() {
		d.subsMu.Unlock()
		_ = ps.Close()
		return nil, driver.ErrClosed
	}
	d.subs.Add(1)
	d.subsMu.Unlock()

	wake := make(chan struct{}, 1)
	stop := make(chan struct{})
	done := make(chan struct{})
	msgs := ps.Channel()
	go func() {
		defer d.subs.Done()
		defer close(done)
		defer ps.Close()
		for {
			select {
			case <-stop:
				return
			case <-ctx.Done():
				return
			case <-d.closing:
				return
			case _, ok := <-msgs:
				if !ok {
					return
				}
				select {
				case wake <- struct{}{}:
				default:
				}
			}
		}
	}()
	var once sync.Once
	return &driver.Subscription{
		Wake: wake,
		Stop: func() {
			once.Do(func() { close(stop) })
			<-done
		},
		Done: done,
	}, nil
}
