package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/internal/wakeup"
)

// CreateSlot takes a schedule's slot and creates its task; see
// driver.Scheduler. The compare and the create are one write transaction,
// which holds the database's write lock, so two processes on one file
// never both take a slot. The schedule's record is a row of its own, which
// purging tasks leaves alone.
func (d *Driver) CreateSlot(ctx context.Context, s driver.Slot) (driver.SlotResult, error) {
	if err := d.check(ctx, driver.ValidateSlot(s, d.maxPayload)); err != nil {
		return driver.SlotResult{}, err
	}
	at := driver.SlotTime(s.At)
	atNanos := at.UnixNano()
	var res driver.SlotResult
	var woken wakeup.Queues
	err := d.write(ctx, func(c conn, now int64) error {
		res, woken = driver.SlotResult{}, nil
		var nanos int64
		var latest time.Time
		err := c.QueryRowContext(ctx, d.q.slotGet, s.Task.Queue, s.Name).Scan(&nanos)
		switch {
		case err == nil:
			latest = time.Unix(0, nanos).UTC()
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		if !latest.IsZero() && atNanos <= nanos || !driver.Expected(s, latest) {
			res.Latest = latest
			return nil
		}
		created, w, err := d.insert(ctx, c, []driver.NewTask{s.Task}, now)
		if err != nil {
			return err
		}
		r := created[0]
		if _, err := c.ExecContext(ctx, d.q.slotSet, s.Task.Queue, s.Name, atNanos, r.ID, now); err != nil {
			return err
		}
		res = driver.SlotResult{Created: r.Err == nil, ID: r.ID, Latest: at, Err: r.Err}
		woken = w
		return nil
	})
	if err != nil {
		return driver.SlotResult{}, err
	}
	d.hub.Wake(woken)
	return res, nil
}
