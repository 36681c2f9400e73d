package postgres

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gosk/gosk/driver"
)

// Subscribe starts listening for tasks that become available in queue; see
// driver.Notifier. The first subscription of a driver opens its dedicated
// listener connection and returns once that connection listens (or its
// first attempt failed, in which case it keeps reconnecting and polling
// covers the gap).
func (d *Driver) Subscribe(ctx context.Context, queue string) (*driver.Subscription, error) {
	if d.closed.Load() {
		return nil, errClosed
	}
	if err := driver.ValidateQueueName(queue); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s, ready, err := d.lis.add(ctx, queue)
	if err != nil {
		return nil, err
	}
	stopAfter := context.AfterFunc(ctx, s.stop)
	sub := &driver.Subscription{Wake: s.wake, Stop: func() { stopAfter(); s.stop() }, Done: s.done}
	select {
	case <-ready:
	case <-ctx.Done():
		sub.Stop()
		return nil, ctx.Err()
	}
	if d.closed.Load() {
		sub.Stop()
		return nil, errClosed
	}
	return sub, nil
}

// subscriber is one subscription's end of the listener.
type subscriber struct {
	wake  chan struct{}
	stop  func()
	done  chan struct{} // closed by finish
	ended sync.Once
}

// finish closes the subscriber's done channel, once, after it has left the
// listener.
func (s *subscriber) finish() { s.ended.Do(func() { close(s.done) }) }

// listener owns the dedicated LISTEN connection of a driver and its
// goroutine, started by the first Subscribe and stopped by close.
type listener struct {
	config   *pgx.ConnConfig
	channel  string
	logger   *slog.Logger
	min, max time.Duration

	mu      sync.Mutex
	subs    map[string]map[*subscriber]struct{}
	started bool
	closed  bool
	ready   chan struct{}      // closed after the first connection attempt
	cancel  context.CancelFunc // stops the goroutine; set when it starts
	done    chan struct{}      // closed when the goroutine returns
}

func newListener(config *pgx.ConnConfig, channel string, o Options) *listener {
	return &listener{
		config:  config,
		channel: channel,
		logger:  o.Logger,
		min:     o.ReconnectMin,
		max:     o.ReconnectMax,
		subs:    make(map[string]map[*subscriber]struct{}),
		ready:   make(chan struct{}),
		done:    make(chan struct{}),
	}
}

// add registers a subscriber of queue and starts the goroutine if it is the
// first. ready is closed once the listener has made its first attempt. The
// goroutine keeps ctx's values but not its cancellation: it serves every
// later subscriber too, and close stops it.
func (l *listener) add(ctx context.Context, queue string) (*subscriber, <-chan struct{}, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, nil, errClosed
	}
	s := &subscriber{wake: make(chan struct{}, 1), done: make(chan struct{})}
	var once sync.Once
	s.stop = func() {
		once.Do(func() {
			l.mu.Lock()
			delete(l.subs[queue], s)
			if len(l.subs[queue]) == 0 {
				delete(l.subs, queue)
			}
			l.mu.Unlock()
			s.finish()
		})
	}
	if l.subs[queue] == nil {
		l.subs[queue] = make(map[*subscriber]struct{})
	}
	l.subs[queue][s] = struct{}{}
	if !l.started {
		l.started = true
		runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		l.cancel = cancel
		go l.run(runCtx)
	}
	return s, l.ready, nil
}

// close stops the goroutine, waits for it, and drops every subscriber.
func (l *listener) close() {
	l.mu.Lock()
	started := l.started
	l.closed = true
	if started {
		l.cancel()
	}
	all := l.subs
	l.subs = make(map[string]map[*subscriber]struct{})
	l.mu.Unlock()
	if started {
		<-l.done
	}
	for _, subs := range all {
		for s := range subs {
			s.finish()
		}
	}
}

// wakeQueue wakes the subscribers of one queue, or of every queue when
// queue is empty (after a reconnect, when notifications may have been
// missed). A subscriber with a wake-up pending is not sent another.
func (l *listener) wakeQueue(queue string, all bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for q, subs := range l.subs {
		if !all && q != queue {
			continue
		}
		for s := range subs {
			select {
			case s.wake <- struct{}{}:
			default:
			}
		}
	}
}

// run connects, listens and dispatches until close, reconnecting with
// exponential back-off when the connection fails.
func (l *listener) run(ctx context.Context) {
	defer close(l.done)
	var readyOnce sync.Once
	markReady := func() { readyOnce.Do(func() { close(l.ready) }) }
	defer markReady()

	wait := l.min
	for attempt := 0; ; attempt++ {
		err := l.session(ctx, attempt > 0, markReady)
		if ctx.Err() != nil {
			return
		}
		markReady()
		if errors.Is(err, errListening) {
			wait = l.min // the session had listened: start the back-off over
		} else {
			l.logger.Warn("gosk/postgres: notify listener cannot connect; retrying",
				slog.String("channel", l.channel), slog.Duration("wait", wait), slog.Any("error", err))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		wait = min(wait*2, l.max)
	}
}

// errListening marks a session that failed after it had started to listen,
// so the back-off starts over.
var errListening = errors.New("listening connection lost")

// session opens the connection, listens and dispatches notifications until
// the connection fails or ctx is done.
func (l *listener) session(ctx context.Context, reconnect bool, ready func()) error {
	conn, err := pgx.ConnectConfig(ctx, l.config.Copy())
	if err != nil {
		return err
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		conn.Close(closeCtx) //nolint:errcheck // the connection is being dropped
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{l.channel}.Sanitize()); err != nil {
		return err
	}
	ready()
	if reconnect {
		l.logger.Info("gosk/postgres: notify listener reconnected", slog.String("channel", l.channel))
		l.wakeQueue("", true) // notifications may have been missed meanwhile
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			l.logger.Warn("gosk/postgres: notify listener lost its connection; reconnecting",
				slog.String("channel", l.channel), slog.Any("error", err))
			return errListening
		}
		l.wakeQueue(n.Payload, false)
	}
}
