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
		var latest int64
		err := c.QueryRowContext(ctx, d.q.slotGet, s.Task.Queue, s.Name).Scan(&latest)
		switch {
		case err == nil && atNanos <= latest:
			res.Latest = time.Unix(0, latest).UTC()
			return nil
		case err != nil && !errors.Is(err, sql.ErrNoRows):
			return err
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
