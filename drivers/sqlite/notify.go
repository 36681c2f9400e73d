package sqlite

import (
	"context"
	"sync"
	"time"

	"github.com/gosk/gosk/driver"
)

// hub fans out wake-ups to the subscribers of each queue.
type hub struct {
	mu     sync.Mutex
	closed bool
	subs   map[string]map[*subscriber]struct{}
	n      int // subscribers in all

	// startWatch, if set, starts the watch of other connections' commits;
	// it runs while there are subscribers (watch is then not nil). ctx is
	// the first subscriber's.
	startWatch func(ctx context.Context) *watch
	watch      *watch
}

// watch is the goroutine that looks for other connections' commits.
type watch struct {
	stop chan struct{} // closed to stop it
	done chan struct{} // closed when it has returned
}

type subscriber struct {
	wake   chan struct{}
	unhook func() bool   // stops the context watch
	done   chan struct{} // closed by finish
	ended  sync.Once
}

// finish closes the subscriber's done channel, once, after it has left the
// hub (and, if it was the last, the watch has ended).
func (s *subscriber) finish() { s.ended.Do(func() { close(s.done) }) }

func (h *hub) init() { h.subs = make(map[string]map[*subscriber]struct{}) }

// Subscribe listens for tasks becoming available in queue; see
// driver.Notifier. This driver's own creates, releases and retries wake
// the queue's subscribers at once; commits by other connections to the
// file wake every subscriber within Options.WatchInterval (see the
// package doc). While there are subscribers, one goroutine of the driver
// runs that watch; the last Stop, or Close, ends it.
func (d *Driver) Subscribe(ctx context.Context, queue string) (*driver.Subscription, error) {
	if err := driver.ValidateQueueName(queue); err != nil {
		return nil, err
	}
	if err := d.read(ctx); err != nil {
		return nil, err
	}
	s := &subscriber{wake: make(chan struct{}, 1), done: make(chan struct{})}
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
	h.n++
	if h.n == 1 && h.startWatch != nil {
		h.watch = h.startWatch(ctx)
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			h.mu.Lock()
			var last *watch
			if _, ok := h.subs[queue][s]; ok {
				delete(h.subs[queue], s)
				if len(h.subs[queue]) == 0 {
					delete(h.subs, queue)
				}
				h.n--
				if h.n == 0 {
					last, h.watch = h.watch, nil
				}
			}
			h.mu.Unlock()
			last.end()
			s.finish()
		})
	}
	// AfterFunc starts no goroutine until ctx is done, and Stop or Close
	// unhooks it.
	s.unhook = context.AfterFunc(ctx, stop)
	h.mu.Unlock()
	return &driver.Subscription{
		Wake: s.wake,
		Stop: func() { s.unhook(); stop() },
		Done: s.done,
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

// wakeAll signals every subscriber, without blocking.
func (h *hub) wakeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, set := range h.subs {
		for s := range set {
			select {
			case s.wake <- struct{}{}:
			default:
			}
		}
	}
}

// close drops every subscription (their channels stay open and silent)
// and stops the watch.
func (h *hub) close() {
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
	last := h.watch
	h.watch = nil
	h.mu.Unlock()
	last.end()
	for _, s := range all {
		s.finish()
	}
}

// end stops the watch and waits for its goroutine to return. A nil watch
// does nothing.
func (w *watch) end() {
	if w == nil {
		return
	}
	close(w.stop)
	<-w.done
}

// startWatch starts the goroutine that, every interval, reads PRAGMA
// data_version on the writer's connection. That number changes when any
// other connection (another process, another handle, the caller's own
// transactions) commits to the file, and not on the writer's own commits,
// so a change means tasks may have come from elsewhere: every subscriber
// is woken, since the queue is not known. The first reading, which has
// nothing to compare with, wakes them as well. The goroutine belongs to the
// hub, which ends it when the last subscription stops or the driver
// closes. It carries ctx's values, not its cancellation: it serves every
// subscriber, not only the one whose Subscribe started it.
func (d *Driver) startWatch(ctx context.Context, interval time.Duration) *watch {
	ctx = context.WithoutCancel(ctx)
	w := &watch{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		ticker := time.NewTicker(interval)
		defer ticker.Stop()
		last, known := int64(0), false
		for {
			select {
			case <-w.stop:
				return
			case <-ticker.C:
			}
			v, err := d.dataVersion(ctx, w.stop)
			if err != nil {
				known = false // a new connection counts afresh
				continue
			}
			// The first reading wakes too: something may have been
			// committed between Subscribe and it.
			if !known || v != last {
				d.hub.wakeAll()
			}
			last, known = v, true
		}
	}()
	return w
}

// dataVersion reads PRAGMA data_version on the writer's connection,
// between write transactions. It gives up waiting for the writer's turn
// when stop is closed.
func (d *Driver) dataVersion(ctx context.Context, stop <-chan struct{}) (int64, error) {
	select {
	case d.writer <- struct{}{}:
	case <-stop:
		return 0, driver.ErrClosed
	}
	defer func() { <-d.writer }()
	if d.closed.Load() {
		return 0, driver.ErrClosed
	}
	// With the writer's turn held nothing here waits: the pragma takes no
	// lock, and the connection is kept (see Driver.keep), so it is taken
	// from the pool once.
	w, err := d.writerConn(ctx)
	if err != nil {
		return 0, err
	}
	var v int64
	err = w.QueryRowContext(ctx, "PRAGMA data_version").Scan(&v)
	return v, err
}
