package memory

import (
	"context"

	"github.com/gosk/gosk/driver"
)

// CreateSlot takes a schedule's slot and creates its task; see
// driver.Scheduler. The latest slot of each schedule is kept with its
// queue, for as long as the driver, whatever happens to the tasks.
func (d *Driver) CreateSlot(ctx context.Context, s driver.Slot) (driver.SlotResult, error) {
	invalid := d.optErr
	if invalid == nil {
		invalid = driver.ValidateSlot(s, d.maxPayload)
	}
	if err := d.begin(ctx, invalid); err != nil {
		return driver.SlotResult{}, err
	}
	defer d.mu.Unlock()
	at := driver.SlotTime(s.At)
	q := d.queue(s.Task.Queue)
	latest := q.slots[s.Name]
	if !latest.IsZero() && !at.After(latest) || !driver.Expected(s, latest) {
		return driver.SlotResult{Latest: latest}, nil
	}
	q.slots[s.Name] = at
	d.lastID++
	r := d.insert([]driver.NewTask{s.Task}, []int64{d.lastID})[0]
	return driver.SlotResult{Created: r.Err == nil, ID: r.ID, Latest: at, Err: r.Err}, nil
}
