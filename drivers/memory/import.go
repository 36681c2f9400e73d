package memory

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/internal/wakeup"
)

// Import stores tasks copied from another store; see driver.Importer. The
// record of each origin is kept for as long as the driver.
func (d *Driver) Import(ctx context.Context, tasks []driver.ImportTask) ([]driver.ImportResult, error) {
	invalid := d.optErr
	if invalid == nil {
		invalid = driver.ValidateImports(tasks, d.maxPayload)
	}
	if err := d.begin(ctx, invalid); err != nil {
		return nil, err
	}
	defer d.mu.Unlock()
	now := d.clock()
	results := make([]driver.ImportResult, len(tasks))
	woken := make(wakeup.Queues)
	for i, it := range tasks {
		origin := it.Task.Queue + "\x00" + it.Origin + "\x00" + strconv.FormatInt(it.Task.ID, 10)
		if id, done := d.origins[origin]; done {
			results[i] = driver.ImportResult{ID: id}
			continue
		}
		r := it.Task
		q := d.queue(r.Queue)
		if r.State == driver.StatePending && r.UniqueKey != "" {
			if id, taken := q.unique[r.UniqueKey]; taken {
				results[i] = driver.ImportResult{ID: id, Err: driver.ErrDuplicate}
				continue
			}
		}
		d.lastID++
		t := &task{rec: driver.TaskRecord{
			ID:          d.lastID,
			Queue:       r.Queue,
			Payload:     slices.Clone(r.Payload),
			Priority:    r.Priority,
			UniqueKey:   r.UniqueKey,
			State:       r.State,
			Attempt:     r.Attempt,
			MaxAttempts: r.MaxAttempts,
			LastError:   r.LastError,
			CreatedAt:   micros(r.CreatedAt),
			RunAt:       micros(r.RunAt),
			FinalizedAt: micros(r.FinalizedAt),
		}, q: q}
		if len(r.Result) > 0 {
			t.rec.Result = slices.Clone(r.Result)
		}
		d.tasks.put(t)
		q.all[t.rec.ID] = t
		q.counts.add(r.State, 1)
		if r.State == driver.StatePending {
			if r.UniqueKey != "" {
				q.unique[r.UniqueKey] = t.rec.ID
			}
			q.addPending(t)
			if !t.rec.RunAt.After(now) {
				woken.Add(r.Queue)
			}
		} else {
			q.addFinal(t)
		}
		d.origins[origin] = t.rec.ID
		results[i] = driver.ImportResult{ID: t.rec.ID, Imported: true}
	}
	d.hub.Wake(woken)
	return results, nil
}

// micros returns t to the microsecond, as every store keeps it (zero
// stays zero).
func micros(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.Truncate(time.Microsecond)
}
