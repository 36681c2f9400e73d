package worker

import (
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"time"

	"github.com/gosk/gosk/driver"
)

// duePoller is a Group's poll of one driver with driver.DueReporter: every
// GroupConfig.PollInterval it asks, in one call, which queues of its idle
// workers have a task due, and wakes those workers; a queue due within
// the interval is asked about again when it comes due. If the call fails
// it wakes every idle worker, which then claims as it would on its own
// poll, so that a failing Due never holds back work.
type duePoller struct {
	drv      driver.Driver
	dr       driver.DueReporter
	interval time.Duration
	log      *slog.Logger
	queues   []string  // distinct, in the order added
	links    [][]*link // the workers of each queue
}

// pollerFor returns pollers with the poller of drv in it, added if new.
func pollerFor(pollers []*duePoller, drv driver.Driver, dr driver.DueReporter, interval time.Duration, log *slog.Logger) ([]*duePoller, *duePoller) {
	for _, p := range pollers {
		if sameDriver(p.drv, drv) {
			return pollers, p
		}
	}
	p := &duePoller{drv: drv, dr: dr, interval: interval, log: log}
	return append(pollers, p), p
}

// sameDriver reports whether a and b are the same driver value; values
// of a type that cannot be compared count as different.
func sameDriver(a, b driver.Driver) bool {
	ta, tb := reflect.TypeOf(a), reflect.TypeOf(b)
	return ta == tb && ta.Comparable() && a == b
}

// add makes the poller wake l when queue has a task due.
func (p *duePoller) add(queue string, l *link) {
	for i, q := range p.queues {
		if q == queue {
			p.links[i] = append(p.links[i], l)
			return
		}
	}
	p.queues = append(p.queues, queue)
	p.links = append(p.links, []*link{l})
}

// run polls until ctx is done.
func (p *duePoller) run(ctx context.Context) {
	t := time.NewTimer(jitter(p.interval))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		t.Reset(p.poll(ctx))
	}
}

// poll asks once about the queues that have an idle worker, wakes the
// workers of those due, and returns how long to wait before the next
// poll.
func (p *duePoller) poll(ctx context.Context) time.Duration {
	next := jitter(p.interval)
	var queues []string
	var idx []int
	for i, ls := range p.links {
		for _, l := range ls {
			if l.idle.Load() {
				queues = append(queues, p.queues[i])
				idx = append(idx, i)
				break
			}
		}
	}
	if len(queues) == 0 {
		return next
	}
	dctx, cancel := context.WithTimeout(ctx, max(p.interval, time.Second))
	dues, err := p.dr.Due(dctx, queues)
	cancel()
	if err == nil && len(dues) != len(queues) {
		err = fmt.Errorf("driver returned %d results for %d queues", len(dues), len(queues))
	}
	if err != nil {
		if ctx.Err() != nil {
			return next
		}
		p.log.Warn("gosk: due poll failed; waking every idle worker to claim", slog.Any("error", err), slog.Int("queues", len(queues)))
		for _, i := range idx {
			p.wake(i)
		}
		return next
	}
	for j, d := range dues {
		switch {
		case d == 0:
			p.wake(idx[j])
		case d > 0:
			next = min(next, max(d, time.Millisecond))
		}
	}
	return next
}

// wake signals the workers of the i-th queue.
func (p *duePoller) wake(i int) {
	for _, l := range p.links[i] {
		select {
		case l.wake <- struct{}{}:
		default:
		}
	}
}
