package memory

import (
	"context"
	"sync"

	"github.com/gosk/gosk/driver"
)

type subscriber struct {
	wake chan struct{}
	done chan struct{} // closed by end
	end  func()        // closes done, once
}

func newSubscriber() *subscriber {
	s := &subscriber{wake: make(chan struct{}, 1), done: make(chan struct{})}
	s.end = sync.OnceFunc(func() { close(s.done) })
	return s
}

// Subscribe listens for tasks becoming available in queue; see
// driver.Notifier.
func (d *Driver) Subscribe(ctx context.Context, queue string) (*driver.Subscription, error) {
	if err := driver.ValidateQueueName(queue); err != nil {
		return nil, err
	}
	if err := d.begin(ctx); err != nil {
		return nil, err
	}
	defer d.mu.Unlock()
	s := newSubscriber()
	if d.subs[queue] == nil {
		d.subs[queue] = make(map[*subscriber]struct{})
	}
	d.subs[queue][s] = struct{}{}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			d.mu.Lock()
			defer d.mu.Unlock()
			delete(d.subs[queue], s)
			if len(d.subs[queue]) == 0 {
				delete(d.subs, queue)
			}
			s.end()
		})
	}
	unhook := context.AfterFunc(ctx, stop)
	return &driver.Subscription{
		Wake: s.wake,
		Stop: func() { unhook(); stop() },
		Done: s.done,
	}, nil
}

// wake signals the queue's subscribers, with the lock held.
func (d *Driver) wake(queue string) {
	for s := range d.subs[queue] {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}
