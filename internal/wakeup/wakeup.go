// Package wakeup is the in-process side of driver.Notifier that the
// embedded adapters (memory, SQLite, bbolt) share: a Hub keeps each
// queue's subscribers and signals them when a call made a task of that
// queue available.
//
// A Hub starts no goroutine for a subscription: its context is watched
// with context.AfterFunc, which runs only once the context is done. An
// adapter that must look for work made elsewhere (SQLite's watch of other
// connections' commits) gives the Hub a Watch, which runs while there are
// subscribers.
package wakeup

import (
	"context"
	"sync"

	"github.com/gosk/gosk/driver"
)

// Queues is a set of queue names: the queues a call made a task available
// in, gathered while it runs and woken once its changes are visible.
type Queues map[string]struct{}

// Add puts name in the set.
func (q Queues) Add(name string) { q[name] = struct{}{} }

// Hub fans out wake-ups to the subscribers of each queue. The zero value
// is ready to use; it is safe for concurrent use.
type Hub struct {
	// Watch, if set, is started when the Hub gets its first subscriber,
	// with that subscriber's context (whose values it may keep; its end
	// must not stop the watch, which serves every subscriber), and stopped
	// by calling what it returned when the last one leaves or the Hub
	// closes. The stop must wait for what the watch started, and is called
	// without the Hub's lock held, so the watch may call WakeAll. Set it
	// before the first Subscribe.
	Watch func(ctx context.Context) (stop func())

	mu        sync.Mutex
	closed    bool
	subs      map[string]map[*subscriber]struct{}
	n         int    // subscribers in all
	stopWatch func() // stops the running watch, if any
}

type subscriber struct {
	queue  string
	wake   chan struct{}
	unhook func() bool   // stops the context watch
	done   chan struct{} // closed once the subscriber has left
	left   sync.Once
}

// Subscribe adds a subscriber to queue and returns its subscription (see
// driver.Subscription): it ends when Stop is called, when ctx is done, or
// when the Hub closes, whichever comes first. After Close, Subscribe
// returns driver.ErrClosed. The caller checks the queue name and ctx.
func (h *Hub) Subscribe(ctx context.Context, queue string) (*driver.Subscription, error) {
	s := &subscriber{queue: queue, wake: make(chan struct{}, 1), done: make(chan struct{})}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, driver.ErrClosed
	}
	if h.subs == nil {
		h.subs = make(map[string]map[*subscriber]struct{})
	}
	if h.subs[queue] == nil {
		h.subs[queue] = make(map[*subscriber]struct{})
	}
	h.subs[queue][s] = struct{}{}
	h.n++
	if h.n == 1 && h.Watch != nil {
		h.stopWatch = h.Watch(ctx)
	}
	// Set under the lock, which the context's callback (run on a goroutine
	// of its own once ctx is done) and Close take first.
	s.unhook = context.AfterFunc(ctx, func() { h.leave(s) })
	return &driver.Subscription{
		Wake: s.wake,
		Stop: func() { s.unhook(); h.leave(s) },
		Done: s.done,
	}, nil
}

// leave takes s out of the Hub, stops the watch if s was the last
// subscriber, and then closes s's done channel. It is safe to call more
// than once.
func (h *Hub) leave(s *subscriber) {
	h.mu.Lock()
	var stop func()
	if set := h.subs[s.queue]; set != nil {
		if _, ok := set[s]; ok {
			delete(set, s)
			if len(set) == 0 {
				delete(h.subs, s.queue)
			}
			h.n--
			if h.n == 0 {
				stop, h.stopWatch = h.stopWatch, nil
			}
		}
	}
	h.mu.Unlock()
	if stop != nil {
		stop()
	}
	s.left.Do(func() { close(s.done) })
}

// Wake signals the subscribers of each queue in queues, without blocking:
// a signal not yet received absorbs the new one.
func (h *Hub) Wake(queues Queues) {
	if len(queues) == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for q := range queues {
		for s := range h.subs[q] {
			s.signal()
		}
	}
}

// WakeAll signals every subscriber, without blocking.
func (h *Hub) WakeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, set := range h.subs {
		for s := range set {
			s.signal()
		}
	}
}

func (s *subscriber) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Close ends every subscription (their Wake channels stay open and
// silent) and stops the watch; it returns once every Done is closed.
// Later calls to Subscribe return driver.ErrClosed. Close is safe to call
// more than once.
func (h *Hub) Close() {
	h.mu.Lock()
	h.closed = true
	var all []*subscriber
	for _, set := range h.subs {
		for s := range set {
			s.unhook()
			all = append(all, s)
		}
	}
	clear(h.subs)
	h.n = 0
	stop := h.stopWatch
	h.stopWatch = nil
	h.mu.Unlock()
	if stop != nil {
		stop()
	}
	for _, s := range all {
		s.left.Do(func() { close(s.done) })
	}
}
