package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/internal/storeunit"
	"github.com/gosk/gosk/internal/wakeup"
)

// Create stores tasks in one transaction; see driver.Driver.
func (d *Driver) Create(ctx context.Context, tasks []driver.NewTask) ([]driver.CreateResult, error) {
	if err := d.check(ctx, driver.ValidateNewTasksMax(tasks, d.maxPayload)); err != nil {
		return nil, err
	}
	var results []driver.CreateResult
	var woken wakeup.Queues
	err := d.write(ctx, func(c conn, now int64) (err error) {
		results, woken, err = d.insert(ctx, c, tasks, now)
		if err == nil && d.afterCreateInsert != nil {
			err = d.afterCreateInsert(tasks)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	d.hub.Wake(woken)
	return results, nil
}

// insert stores tasks on c and returns their results and the queues to
// wake.
func (d *Driver) insert(ctx context.Context, c conn, tasks []driver.NewTask, now int64) ([]driver.CreateResult, wakeup.Queues, error) {
	results := make([]driver.CreateResult, len(tasks))
	woken := make(wakeup.Queues)
	for i, t := range tasks {
		var key any // NULL: no unique key
		if t.UniqueKey != "" {
			key = t.UniqueKey
			var id int64
			err := c.QueryRowContext(ctx, d.q.findUnique, t.Queue, t.UniqueKey).Scan(&id)
			if err == nil {
				results[i] = driver.CreateResult{ID: id, Err: driver.ErrDuplicate}
				continue
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return nil, nil, err
			}
		}
		inRow, apart := splitPayload(t.Payload)
		res, err := c.ExecContext(ctx, d.q.insert, t.Queue, inRow, t.Priority, key,
			t.MaxAttempts, now, storeunit.NanosAfter(now, t.Delay))
		if err != nil {
			return nil, nil, err
		}
		id, err := res.LastInsertId()
		if err != nil {
			return nil, nil, err
		}
		if err := d.storePayloadApart(ctx, c, id, apart); err != nil {
			return nil, nil, err
		}
		results[i] = driver.CreateResult{ID: id}
		if t.Delay == 0 {
			woken.Add(t.Queue)
		}
	}
	return results, woken, nil
}

// payloadApartMin is the payload length from which a task's payload is
// kept in the payloads table rather than in its row. SQLite rewrites a
// whole row whenever a column of it changes, and a task's row changes at
// every claim and finish; below this length, the row's page is written
// anyway and a second table would cost more than it saves.
const payloadApartMin = 1024

// splitPayload returns what a task's row holds for payload p (never nil:
// the column is NOT NULL) and what the payloads table holds (nil: none).
func splitPayload(p []byte) (inRow, apart []byte) {
	if len(p) >= payloadApartMin {
		return []byte{}, p
	}
	if p == nil {
		return []byte{}, nil
	}
	return p, nil
}

// storePayloadApart stores the payload of task id in the payloads table,
// if it has one to keep apart.
func (d *Driver) storePayloadApart(ctx context.Context, c conn, id int64, apart []byte) error {
	if apart == nil {
		return nil
	}
	_, err := c.ExecContext(ctx, d.q.payloadInsert, id, apart)
	return err
}

// fillPayloads reads into tasks whose row payload is empty the payloads
// kept apart for them, if any.
func (d *Driver) fillPayloads(ctx context.Context, c conn, tasks []driver.ClaimedTask) error {
	var ids []int64
	at := make(map[int64]int)
	for i, t := range tasks {
		if len(t.Task.Payload) == 0 {
			ids = append(ids, t.Task.ID)
			at[t.Task.ID] = i
		}
	}
	if len(ids) == 0 {
		return nil
	}
	rows, err := c.QueryContext(ctx, d.q.payloadsGet, jsonIDs(ids))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var p []byte
		if err := rows.Scan(&id, &p); err != nil {
			return err
		}
		tasks[at[id]].Task.Payload = p
	}
	return rows.Err()
}

// Claim leases available tasks in one write transaction; see
// driver.Driver. It first fails the queue's tasks whose lease ran out on
// their last attempt, then picks tasks in the rule's order (pending tasks
// whose run-at has come and running tasks whose lease ran out, merged by
// the rule's keys), then leases them.
func (d *Driver) Claim(ctx context.Context, p driver.ClaimParams) ([]driver.ClaimedTask, error) {
	p, invalid := driver.ValidateClaim(p)
	if err := d.check(ctx, invalid); err != nil {
		return nil, err
	}
	var available string
	switch p.Rule {
	case driver.Fifo:
		available = d.q.availableFifo
	case driver.Lifo:
		available = d.q.availableLifo
	case driver.Priority:
		available = d.q.availablePriority
	}
	var claimed []driver.ClaimedTask
	err := d.write(ctx, func(c conn, now int64) error {
		if paused, err := d.paused(ctx, c, p.Queue); paused || err != nil {
			return err
		}
		if _, err := c.ExecContext(ctx, d.q.failLapsed, p.Queue, now, driver.LeaseExpiredMessage); err != nil {
			return err
		}
		ids, err := queryIDs(ctx, c, available, p.Queue, now, p.Limit)
		if err != nil || len(ids) == 0 {
			return err
		}
		rows, err := c.QueryContext(ctx, d.q.lease, jsonIDs(ids), storeunit.NanosAfter(now, p.Lease))
		if err != nil {
			return err
		}
		defer rows.Close()
		byID := make(map[int64]driver.ClaimedTask, len(ids))
		for rows.Next() {
			var ct driver.ClaimedTask
			if err := scanTask(rows, &ct.Task, &ct.Lease.Token); err != nil {
				return err
			}
			ct.Lease.TaskID = ct.Task.ID
			byID[ct.Task.ID] = ct
		}
		if err := rows.Err(); err != nil {
			return err
		}
		claimed = make([]driver.ClaimedTask, 0, len(ids))
		for _, id := range ids {
			ct, ok := byID[id]
			if !ok {
				return fmt.Errorf("claim: task %d vanished inside the transaction", id)
			}
			claimed = append(claimed, ct)
		}
		return d.fillPayloads(ctx, c, claimed)
	})
	if err != nil {
		return nil, err
	}
	if claimed == nil {
		claimed = []driver.ClaimedTask{}
	}
	return claimed, nil
}

// fence is what fencing needs to know of a task.
type fence struct {
	state driver.State
	token int64
	queue string
}

// eachFence reads the fencing state of the tasks ids names, in one query,
// and goes through them in order: a task that does not exist gets
// ErrTaskNotFound in errs, one that check turns away gets check's
// per-item error, and apply runs for the others; an error of apply ends
// the call (the transaction is undone). Ping, Finish, Retry and Cancel
// share it.
func (d *Driver) eachFence(ctx context.Context, c conn, ids []int64, errs []error,
	check func(i int, f fence) error, apply func(i int, f fence) error) error {
	fs, err := d.fences(ctx, c, ids)
	if err != nil {
		return err
	}
	for i, id := range ids {
		f, ok := fs[id]
		if !ok {
			errs[i] = driver.NewTaskError(id, driver.ErrTaskNotFound, "")
			continue
		}
		if errs[i] = check(i, f); errs[i] != nil {
			continue
		}
		if err := apply(i, f); err != nil {
			return err
		}
	}
	return nil
}

// fences reads the fencing state of the tasks named, in one query.
func (d *Driver) fences(ctx context.Context, c conn, ids []int64) (map[int64]fence, error) {
	rows, err := c.QueryContext(ctx, d.q.fences, jsonIDs(ids))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[int64]fence, len(ids))
	for rows.Next() {
		var id int64
		var f fence
		if err := rows.Scan(&id, &f.state, &f.token, &f.queue); err != nil {
			return nil, err
		}
		out[id] = f
	}
	return out, rows.Err()
}

// Ping extends the leases that still hold, in one write transaction; see
// driver.Driver.
func (d *Driver) Ping(ctx context.Context, leases []driver.Lease, extend time.Duration) ([]error, error) {
	if err := d.check(ctx, driver.ValidatePing(leases, extend)); err != nil {
		return nil, err
	}
	errs := make([]error, len(leases))
	err := d.write(ctx, func(c conn, now int64) error {
		ids := make([]int64, len(leases))
		for i, l := range leases {
			ids[i] = l.TaskID
		}
		held := ids[:0:0]
		err := d.eachFence(ctx, c, ids, errs, func(i int, f fence) error {
			if err := driver.CheckPing(f.state, f.token, leases[i].Token); err != nil {
				return driver.NewTaskError(ids[i], err, "")
			}
			return nil
		}, func(i int, _ fence) error {
			held = append(held, ids[i])
			return nil
		})
		if err != nil || len(held) == 0 {
			return err
		}
		_, err = c.ExecContext(ctx, d.q.extend, jsonIDs(held), storeunit.NanosAfter(now, extend))
		return err
	})
	if err != nil {
		return nil, err
	}
	return errs, nil
}

// Finish applies outcomes, each fenced by its lease, in one write
// transaction; see driver.Driver.
func (d *Driver) Finish(ctx context.Context, outcomes []driver.Outcome) ([]error, error) {
	if err := d.check(ctx, driver.ValidateOutcomes(outcomes)); err != nil {
		return nil, err
	}
	errs := make([]error, len(outcomes))
	woken := make(wakeup.Queues)
	err := d.write(ctx, func(c conn, now int64) error {
		ids := make([]int64, len(outcomes))
		for i, o := range outcomes {
			ids[i] = o.Lease.TaskID
		}
		return d.eachFence(ctx, c, ids, errs, func(i int, f fence) error {
			if err := driver.CheckLease(f.state, f.token, outcomes[i].Lease.Token); err != nil {
				return driver.NewTaskError(ids[i], err, "")
			}
			return nil
		}, func(i int, f fence) error {
			o := outcomes[i]
			if o.Kind != driver.Release {
				_, err := c.ExecContext(ctx, d.q.finalize, o.Lease.TaskID, finalState(o.Kind), now, o.Message, storedResult(o.Result))
				return err
			}
			keep := 0
			if o.KeepAttempt {
				keep = 1
			}
			if o.Delay == 0 {
				woken.Add(f.queue)
			}
			_, err := c.ExecContext(ctx, d.q.release, o.Lease.TaskID, storeunit.NanosAfter(now, o.Delay), o.Message, keep)
			return err
		})
	})
	if err != nil {
		return nil, err
	}
	d.hub.Wake(woken)
	return errs, nil
}

// storedResult is the result column's value: NULL for no result, so that
// an empty result reads back as none.
func storedResult(r []byte) any {
	if len(r) == 0 {
		return nil
	}
	return r
}

func finalState(k driver.OutcomeKind) driver.State {
	switch k {
	case driver.Complete:
		return driver.StateCompleted
	case driver.Cancel:
		return driver.StateCancelled
	}
	return driver.StateFailed
}

// Get returns a task's record; see driver.Driver.
func (d *Driver) Get(ctx context.Context, id int64) (driver.TaskRecord, error) {
	if err := d.check(ctx, driver.ValidateID(id)); err != nil {
		return driver.TaskRecord{}, err
	}
	var rec driver.TaskRecord
	if err := scanTask(d.db.QueryRowContext(ctx, d.q.get, id), &rec, &rec.Result); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return driver.TaskRecord{}, driver.NewTaskError(id, driver.ErrTaskNotFound, "")
		}
		return driver.TaskRecord{}, d.translate(ctx, err)
	}
	return rec, nil
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// scanTask reads the task columns that get.sql, list.sql and lease.sql
// share into rec; the columns after them (the result of get.sql and
// list.sql, the token of lease.sql) go to extra.
func scanTask(s scanner, rec *driver.TaskRecord, extra ...any) error {
	var (
		key                       sql.NullString
		created, runAt            int64
		leaseExpires, finalizedAt sql.NullInt64
	)
	dest := append([]any{&rec.ID, &rec.Queue, &rec.Payload, &rec.Priority, &key, &rec.State,
		&rec.Attempt, &rec.MaxAttempts, &rec.LastError, &created, &runAt, &leaseExpires, &finalizedAt}, extra...)
	if err := s.Scan(dest...); err != nil {
		return err
	}
	if rec.Payload == nil {
		rec.Payload = []byte{}
	}
	rec.UniqueKey = key.String
	rec.CreatedAt = fromNanos(created)
	rec.RunAt = fromNanos(runAt)
	rec.LeaseExpiresAt = fromNanos(leaseExpires.Int64)
	rec.FinalizedAt = fromNanos(finalizedAt.Int64)
	return nil
}

func fromNanos(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns)
}

// queryIDs runs a query returning one column of IDs.
func queryIDs(ctx context.Context, c conn, query string, args ...any) ([]int64, error) {
	rows, err := c.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// jsonIDs encodes IDs as a JSON array, the one parameter that json_each
// in the queries expands, so that a batch of any size is one statement.
func jsonIDs(ids []int64) string {
	b, _ := json.Marshal(ids)
	return string(b)
}
