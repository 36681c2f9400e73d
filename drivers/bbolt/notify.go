package bbolt

import (
	"context"
	"sync"

	"github.com/gosk/gosk/driver"
)

// notifier wakes in-process subscribers when a queue gets available work.
// It starts no goroutine of its own: a subscription's context is watched
// with context.AfterFunc, which runs only once the context is done.
type notifier struct {
	mu     sync.Mutex
	subs   map[string]map[*subscriber]struct{}
	closed bool
}

type subscriber struct {
	queue     string
	wake      chan struct{}
	stopWatch func() bool   // stops the context watch
	done      chan struct{} // closed once the subscriber is dropped
	ended     sync.Once
}

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
	return d.notify.subscribe(ctx, queue)
}

func (n *notifier) subscribe(ctx context.Context, queue string) (*driver.Subscription, error) {
	s := &subscriber{queue: queue, wake: make(chan struct{}, 1), done: make(chan struct{})}
	s.stopWatch = context.AfterFunc(ctx, func() { n.drop(s) })
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		s.stopWatch()
		return nil, driver.ErrClosed
	}
	if n.subs == nil {
		n.subs = make(map[string]map[*subscriber]struct{})
	}
	if n.subs[queue] == nil {
		n.subs[queue] = make(map[*subscriber]struct{})
	}
	n.subs[queue][s] = struct{}{}
	n.mu.Unlock()
	if ctx.Err() != nil { // done before it was registered: drop may have run first
		n.drop(s)
	}
	return &driver.Subscription{Wake: s.wake, Stop: func() { n.stop(s) }, Done: s.done}, nil
}

// stop ends a subscription and its context watch; it is safe to call more
// than once.
func (n *notifier) stop(s *subscriber) {
	s.stopWatch()
	n.drop(s)
}

// drop removes a subscriber and closes its done channel; it is safe to
// call more than once.
func (n *notifier) drop(s *subscriber) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if m := n.subs[s.queue]; m != nil {
		delete(m, s)
		if len(m) == 0 {
			delete(n.subs, s.queue)
		}
	}
	s.ended.Do(func() { close(s.done) })
}

// wake signals every subscriber of the queues, merging with a signal not
// yet received.
func (n *notifier) wake(queues map[string]struct{}) {
	if len(queues) == 0 {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	for q := range queues {
		for s := range n.subs[q] {
			select {
			case s.wake <- struct{}{}:
			default:
			}
		}
	}
}

// close ends every subscription; later subscribes fail with ErrClosed.
func (n *notifier) close() {
	n.mu.Lock()
	var all []*subscriber
	for _, m := range n.subs {
		for s := range m {
			all = append(all, s)
		}
	}
	n.closed = true
	n.mu.Unlock()
	for _, s := range all {
		n.stop(s)
	}
}
