package memory

import (
	"context"
	"slices"
	"time"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/internal/wakeup"
)

// Pause pauses queues; see driver.Admin. The pause lasts as long as the
// driver, which is as long as its store.
func (d *Driver) Pause(ctx context.Context, queues []string) error {
	if err := d.begin(ctx, driver.ValidateQueueNames(queues)); err != nil {
		return err
	}
	defer d.mu.Unlock()
	for _, q := range queues {
		d.paused[q] = struct{}{}
	}
	return nil
}

// Resume ends the pause of queues and wakes their subscribers; see
// driver.Admin.
func (d *Driver) Resume(ctx context.Context, queues []string) error {
	if err := d.begin(ctx, driver.ValidateQueueNames(queues)); err != nil {
		return err
	}
	defer d.mu.Unlock()
	woken := make(wakeup.Queues)
	for _, q := range queues {
		delete(d.paused, q)
		woken.Add(q)
	}
	d.hub.Wake(woken)
	return nil
}

// PausedQueues lists the paused queues, sorted; see driver.Admin.
func (d *Driver) PausedQueues(ctx context.Context) ([]string, error) {
	if err := d.begin(ctx, nil); err != nil {
		return nil, err
	}
	defer d.mu.Unlock()
	out := make([]string, 0, len(d.paused))
	for q := range d.paused {
		out = append(out, q)
	}
	slices.Sort(out)
	return out, nil
}

// Due tells when each queue next has a task to claim; see
// driver.DueReporter.
func (d *Driver) Due(ctx context.Context, queues []string) ([]time.Duration, error) {
	if err := d.begin(ctx, driver.ValidateQueueNames(queues)); err != nil {
		return nil, err
	}
	defer d.mu.Unlock()
	now := d.clock()
	out := make([]time.Duration, len(queues))
	for i, name := range queues {
		out[i] = driver.NotDue
		q := d.queues[name]
		if _, paused := d.paused[name]; paused || q == nil {
			continue
		}
		var next time.Time
		if t := q.byTime.first(); t != nil {
			next = t.rec.RunAt
		}
		for _, t := range q.running.tasks {
			if next.IsZero() || t.rec.LeaseExpiresAt.Before(next) {
				next = t.rec.LeaseExpiresAt
			}
		}
		if !next.IsZero() {
			out[i] = max(0, next.Sub(now))
		}
	}
	return out, nil
}
