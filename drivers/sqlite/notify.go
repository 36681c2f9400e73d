package sqlite

import (
	"context"
	"time"

	"github.com/gosk/gosk/driver"
)

// Subscribe listens for tasks becoming available in queue; see
// driver.Notifier. This driver's own creates, releases and retries wake
// the queue's subscribers at once; commits by other connections to the
// file wake every subscriber within Options.WatchInterval (see the
// package doc). While there are subscribers, one goroutine of the driver
// runs that watch; the last Stop, or Close, ends it.
func (d *Driver) Subscribe(ctx context.Context, queue string) (*driver.Subscription, error) {
	if err := d.check(ctx, driver.ValidateQueueName(queue)); err != nil {
		return nil, err
	}
	return d.hub.Subscribe(ctx, queue)
}

// startWatch starts the goroutine that, every interval, reads PRAGMA
// data_version on the writer's connection. That number changes when any
// other connection (another process, another handle, the caller's own
// transactions) commits to the file, and not on the writer's own commits,
// so a change means tasks may have come from elsewhere: every subscriber
// is woken, since the queue is not known. The first reading, which has
// nothing to compare with, wakes them as well. It is the hub's Watch: the
// hub calls the returned stop, which waits for the goroutine to return,
// when the last subscription stops or the driver closes. The goroutine
// carries ctx's values, not its cancellation: it serves every subscriber,
// not only the one whose Subscribe started it.
func (d *Driver) startWatch(ctx context.Context, interval time.Duration) (stop func()) {
	ctx = context.WithoutCancel(ctx)
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		ticker := time.NewTicker(interval)
		defer ticker.Stop()
		last, known := int64(0), false
		for {
			select {
			case <-quit:
				return
			case <-ticker.C:
			}
			v, err := d.dataVersion(ctx, quit)
			if err != nil {
				known = false // a new connection counts afresh
				continue
			}
			// The first reading wakes too: something may have been
			// committed between Subscribe and it.
			if !known || v != last {
				d.hub.WakeAll()
			}
			last, known = v, true
		}
	}()
	return func() {
		close(quit)
		<-done
	}
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
