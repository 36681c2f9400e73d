package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/internal/storeunit"
	"github.com/gosk/gosk/internal/wakeup"
)

var _ driver.Importer = (*Driver)(nil)

// Import stores tasks copied from another store, in one write
// transaction; see driver.Importer. Each origin task is recorded in the
// origins table (see the package doc) in the transaction that inserts
// it, and the write lock that transaction holds makes concurrent imports
// of one origin, from this process or another, store it once. A record
// outlives its task: Purge leaves the origins table alone.
//
// Times are kept to the microsecond (driver.ValidateImports keeps them
// before driver.MaxImportTime, which the Unix nanoseconds hold).
func (d *Driver) Import(ctx context.Context, tasks []driver.ImportTask) ([]driver.ImportResult, error) {
	if err := d.check(ctx, driver.ValidateImports(tasks, d.maxPayload)); err != nil {
		return nil, err
	}
	if len(tasks) == 0 {
		return []driver.ImportResult{}, nil
	}
	var results []driver.ImportResult
	var woken wakeup.Queues
	err := d.write(ctx, func(c conn, now int64) (err error) {
		results, woken, err = d.importTasks(ctx, c, tasks, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	d.hub.Wake(woken)
	return results, nil
}

// importTasks stores tasks on c, inside the write transaction, and returns
// their results and the queues to wake.
func (d *Driver) importTasks(ctx context.Context, c conn, tasks []driver.ImportTask, now int64) ([]driver.ImportResult, wakeup.Queues, error) {
	results := make([]driver.ImportResult, len(tasks))
	woken := make(wakeup.Queues)
	for i, it := range tasks {
		r := it.Task
		var id int64
		err := c.QueryRowContext(ctx, d.q.originGet, r.Queue, it.Origin, r.ID).Scan(&id)
		if err == nil {
			results[i] = driver.ImportResult{ID: id}
			continue
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return nil, nil, err
		}
		var key any // NULL: no unique key
		if r.UniqueKey != "" {
			key = r.UniqueKey
		}
		if r.UniqueKey != "" && r.State == driver.StatePending {
			err := c.QueryRowContext(ctx, d.q.findUnique, r.Queue, r.UniqueKey).Scan(&id)
			if err == nil {
				results[i] = driver.ImportResult{ID: id, Err: driver.ErrDuplicate}
				continue
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return nil, nil, err
			}
		}
		var finalized any // NULL: not final
		if r.State.Final() {
			finalized = storeunit.Nanos(r.FinalizedAt)
		}
		inRow, apart := splitPayload(r.Payload)
		runAt := storeunit.Nanos(r.RunAt)
		err = c.QueryRowContext(ctx, d.q.importInsert, r.Queue, inRow, r.Priority, key, r.State,
			r.Attempt, r.MaxAttempts, r.LastError, storeunit.Nanos(r.CreatedAt), runAt, finalized,
			storedResult(r.Result)).Scan(&id)
		if err != nil {
			return nil, nil, err
		}
		if err := d.storePayloadApart(ctx, c, id, apart); err != nil {
			return nil, nil, err
		}
		if _, err := c.ExecContext(ctx, d.q.originSet, r.Queue, it.Origin, r.ID, id, now); err != nil {
			return nil, nil, err
		}
		results[i] = driver.ImportResult{ID: id, Imported: true}
		if r.State == driver.StatePending && runAt <= now {
			woken.Add(r.Queue)
		}
	}
	return results, woken, nil
}
