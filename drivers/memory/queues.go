package memory

import (
	"context"
	"slices"

	"github.com/gosk/gosk/driver"
)

var _ driver.QueueLister = (*Driver)(nil)

// Queues names the queues that hold a task or are paused, sorted; see
// driver.QueueLister.
func (d *Driver) Queues(ctx context.Context) ([]string, error) {
	if err := d.begin(ctx, nil); err != nil {
		return nil, err
	}
	defer d.mu.Unlock()
	out := []string{}
	for name, q := range d.queues {
		if _, paused := d.paused[name]; len(q.all) > 0 || paused {
			out = append(out, name)
		}
	}
	for name := range d.paused {
		if _, seen := d.queues[name]; !seen {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out, nil
}
