package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gosk/gosk/driver"
)

// CreateSlot takes a schedule's slot and creates its task; see
// driver.Scheduler. It is one transaction: slot_take.sql moves the
// schedule's row only if the slot is later (an INSERT ... ON CONFLICT DO
// UPDATE ... WHERE, which locks the row either way, so concurrent takers
// of one schedule go one after the other and each compares with what the
// one before it committed), then the task is created as Create creates it,
// unique key included, and the row records the task's ID. With
// Slot.Expect the take is slot_take_after.sql (an UPDATE whose WHERE
// names the expected latest slot) or slot_take_first.sql (an INSERT that
// does nothing on conflict) instead. The compare
// uses the slot as given (no clock), kept to the microsecond as
// timestamptz keeps it.
func (d *Driver) CreateSlot(ctx context.Context, s driver.Slot) (driver.SlotResult, error) {
	if err := d.begin(ctx, driver.ValidateSlot(s, d.maxPayload)); err != nil {
		return driver.SlotResult{}, err
	}
	res, err := d.createSlot(ctx, s)
	if err != nil {
		return driver.SlotResult{}, d.translate(err)
	}
	return res, nil
}

func (d *Driver) createSlot(ctx context.Context, s driver.Slot) (res driver.SlotResult, err error) {
	at := driver.SlotTime(s.At)
	tx, err := d.pool.Begin(ctx)
	if err != nil {
		return res, err
	}
	defer func() {
		if err != nil {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), undoTimeout)
			defer cancel()
			_ = tx.Rollback(rctx)
		}
	}()
	var taken time.Time
	switch {
	case !s.Expect:
		err = tx.QueryRow(ctx, d.q.slotTake, s.Task.Queue, s.Name, at).Scan(&taken)
	case s.Latest.IsZero():
		err = tx.QueryRow(ctx, d.q.slotTakeFirst, s.Task.Queue, s.Name, at).Scan(&taken)
	default:
		err = tx.QueryRow(ctx, d.q.slotTakeAfter, s.Task.Queue, s.Name, at, driver.SlotTime(s.Latest)).Scan(&taken)
	}
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		// Not taken: read the latest (none if the schedule has no row).
		var latest time.Time
		err = tx.QueryRow(ctx, d.q.slotLatest, s.Task.Queue, s.Name).Scan(&latest)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
		case err != nil:
			return res, err
		default:
			latest = latest.UTC()
		}
		if err = commit(ctx, tx); err != nil {
			return res, err
		}
		return driver.SlotResult{Latest: latest}, nil
	case err != nil:
		return res, err
	}
	created, err := d.create(ctx, pgxRunner(tx), []driver.NewTask{s.Task})
	if err != nil {
		return res, err
	}
	r := created[0]
	if _, err = tx.Exec(ctx, d.q.slotTask, s.Task.Queue, s.Name, r.ID); err != nil {
		return res, err
	}
	if err = commit(ctx, tx); err != nil {
		return res, err
	}
	return driver.SlotResult{Created: r.Err == nil, ID: r.ID, Latest: at, Err: r.Err}, nil
}
