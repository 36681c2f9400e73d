package sqlite

import (
	"context"
	"sync"

	"github.com/gosk/gosk/driver"
)

// hub fans out in-process wake-ups to the subscribers of each queue.
type hub struct {
	mu     sync.Mutex
	closed bool
	subs   map[string]map[*subscriber]struct{}
}

type subscriber struct {
	wake   chan struct{}
	unhook func() bool // stops the context watch
}

func (h *hub) init() { h.subs = make(map[string]map[*subscriber]struct{}) }

// Subscribe listens for tasks becoming available in queue; see
// driver.Notifier. Wake-ups come from this driver's own writes (and those
// of transactional creators it handed out), not from other processes or
// other handles on the same file: their tasks are found by the worker's
// polling.
func (d *Driver) Subscribe(ctx context.Context, queue string) (*driver.Subscription, error) {
	if err := driver.ValidateQueueName(queue); err != nil {
		return nil, err
	}
	if err := d.read(ctx); err != nil {
		return nil, err
	}
	s := &subscriber{wake: make(chan struct{}, 1)}
	h := &d.hub
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, driver.ErrClosed
	}
	if h.subs[queue] == nil {
		h.subs[queue] = make(map[*subscriber]struct{})
	}
	h.subs[queue][s] = struct{}{}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			h.mu.Lock()
			defer h.mu.Unlock()
			delete(h.subs[queue], s)
			if len(h.subs[queue]) == 0 {
				delete(h.subs, queue)
			}
		})
	}
	// AfterFunc starts no goroutine until ctx is done, and Stop or Close
	// unhooks it.
	s.unhook = context.AfterFunc(ctx, stop)
	h.mu.Unlock()
	return &driver.Subscription{
		Wake: s.wake,
		Stop: func() { s.unhook(); stop() },
	}, nil
}

// wake signals the subscribers of each queue named, without blocking.
func (h *hub) wake(queues map[string]bool) {
	if len(queues) == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for q := range queues {
		for s := range h.subs[q] {
			select {
			case s.wake <- struct{}{}:
			default:
			}
		}
	}
}

// close drops every subscription; their channels stay open and silent.
func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for _, set := range h.subs {
		for s := range set {
			s.unhook()
		}
	}
	clear(h.subs)
}
