package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gosk/gosk/driver"
)

var _ driver.Importer = (*Driver)(nil)

// importQueries are the statements of Import, with the schema in place.
type importQueries struct {
	// claim records each origin with a new ID, unless it was imported
	// before; insert stores the tasks of the recorded origins; existing
	// reads the IDs of origins imported before.
	claim, insert, existing string
}

// renderImportQueries reads Import's statements through read, which
// renders one embedded query by name.
func renderImportQueries(read func(name string) string) importQueries {
	return importQueries{
		claim:    read("import_claim"),
		insert:   read("import_insert"),
		existing: read("import_existing"),
	}
}

// Import stores tasks copied from another store; see driver.Importer. The
// batch is one transaction of up to four statements:
//
//  1. import_claim.sql draws an ID for every task and records its origin
//     in gosk_import_origins with that ID (INSERT ... ON CONFLICT DO
//     NOTHING on the table's primary key, queue, origin and origin ID): a
//     concurrent importer of the same origin waits there for this one's
//     commit and then finds the row, so each origin is stored once.
//  2. import_insert.sql inserts the tasks whose origins this call
//     recorded, with their records as given, and deletes the record
//     again of each pending task whose unique key is held (skipped by ON
//     CONFLICT, as Create skips it); it notifies the queues that got a
//     pending task whose run-at has come.
//  3. import_existing.sql reads the IDs that the other origins were
//     imported as, committed by then.
//  4. The holders of the keys that turned tasks away are read as Create
//     reads them.
//
// The records of origins are never deleted once committed: Purge and
// Cancel leave them, so a task purged on this store is not imported
// again.
func (d *Driver) Import(ctx context.Context, tasks []driver.ImportTask) ([]driver.ImportResult, error) {
	if err := d.begin(ctx, driver.ValidateImports(tasks, d.maxPayload)); err != nil {
		return nil, err
	}
	if len(tasks) == 0 {
		return []driver.ImportResult{}, nil
	}
	var res []driver.ImportResult
	err := d.inTx(ctx, func(tx pgx.Tx) (err error) {
		res, err = d.importIn(ctx, tx, tasks)
		return err
	})
	if err != nil {
		return nil, d.translate(err)
	}
	return res, nil
}

// importIn runs Import's statements on valid tasks in tx, which the caller
// commits.
func (d *Driver) importIn(ctx context.Context, tx pgx.Tx, tasks []driver.ImportTask) ([]driver.ImportResult, error) {
	results := make([]driver.ImportResult, len(tasks))
	ids, recorded, err := d.importClaim(ctx, tx, tasks)
	if err != nil {
		return nil, err
	}
	var stored, before []int // indexes into tasks
	for i := range tasks {
		if recorded[i] {
			stored = append(stored, i)
		} else {
			before = append(before, i)
		}
	}
	blocked, err := d.importInsert(ctx, tx, tasks, ids, stored)
	if err != nil {
		return nil, err
	}
	for _, i := range stored {
		results[i] = driver.ImportResult{ID: ids[i], Imported: true}
	}
	if err := d.importBefore(ctx, tx, tasks, before, results); err != nil {
		return nil, err
	}
	if len(blocked) > 0 {
		// The holders are read as Create reads them, through the same
		// queries: by queue and unique key.
		keyed := make([]driver.NewTask, len(tasks))
		for _, i := range blocked {
			keyed[i] = driver.NewTask{Queue: tasks[i].Task.Queue, UniqueKey: tasks[i].Task.UniqueKey}
		}
		held := make([]driver.CreateResult, len(tasks))
		if err := d.resolveHolders(ctx, pgxRunner(tx), keyed, blocked, held); err != nil {
			return nil, err
		}
		for _, i := range blocked {
			results[i] = driver.ImportResult{ID: held[i].ID, Err: held[i].Err}
		}
	}
	return results, nil
}

// importClaim runs import_claim.sql: per task, the ID drawn for it and
// whether its origin was recorded with that ID (false: it was imported
// before).
func (d *Driver) importClaim(ctx context.Context, tx pgx.Tx, tasks []driver.ImportTask) (ids []int64, recorded []bool, err error) {
	n := len(tasks)
	queues, origins, originIDs := make([]string, n), make([]string, n), make([]int64, n)
	for i, it := range tasks {
		queues[i], origins[i], originIDs[i] = it.Task.Queue, it.Origin, it.Task.ID
	}
	ids, recorded = make([]int64, 0, n), make([]bool, 0, n)
	err = pgxRunner(tx)(ctx, d.q.imp.claim, []any{queues, origins, originIDs, d.seq}, func(scan func(...any) error) error {
		var id int64
		var ok bool
		if err := scan(&id, &ok); err != nil {
			return err
		}
		if len(ids) == n {
			return fmt.Errorf("import_claim returned more rows than tasks")
		}
		ids, recorded = append(ids, id), append(recorded, ok)
		return nil
	})
	if err == nil && len(ids) != n {
		err = fmt.Errorf("import_claim returned %d rows for %d tasks", len(ids), n)
	}
	return ids, recorded, err
}

// importInsert runs import_insert.sql for the tasks at stored, with the
// IDs drawn for them, and returns the indexes of those that a held unique
// key turned away.
func (d *Driver) importInsert(ctx context.Context, tx pgx.Tx, tasks []driver.ImportTask, ids []int64, stored []int) ([]int, error) {
	n := len(stored)
	if n == 0 {
		return nil, nil
	}
	var (
		taskIDs    = make([]int64, n)
		queues     = make([]string, n)
		payloads   = make([][]byte, n)
		priorities = make([]int16, n)
		keys       = make([]string, n)
		states     = make([]string, n)
		attempts   = make([]int32, n)
		maxes      = make([]int32, n)
		errs       = make([]string, n)
		created    = make([]time.Time, n)
		runAt      = make([]time.Time, n)
		finalized  = make([]*time.Time, n)
		results    = make([][]byte, n)
	)
	for j, i := range stored {
		r := tasks[i].Task
		taskIDs[j], queues[j], payloads[j], priorities[j], keys[j] = ids[i], r.Queue, r.Payload, int16(r.Priority), r.UniqueKey
		states[j], attempts[j], maxes[j], errs[j] = string(r.State), int32(r.Attempt), int32(r.MaxAttempts), r.LastError
		created[j], runAt[j] = r.CreatedAt, r.RunAt
		if !r.FinalizedAt.IsZero() {
			finalized[j] = &r.FinalizedAt
		}
		if len(r.Result) > 0 {
			results[j] = r.Result
		}
	}
	var blocked []int
	j := 0
	err := pgxRunner(tx)(ctx, d.q.imp.insert,
		[]any{taskIDs, queues, payloads, priorities, keys, states, attempts, maxes, errs, created, runAt, finalized, results, d.channel},
		func(scan func(...any) error) error {
			var inserted bool
			if err := scan(&inserted); err != nil {
				return err
			}
			if j == n {
				return fmt.Errorf("import_insert returned more rows than tasks")
			}
			if !inserted {
				blocked = append(blocked, stored[j])
			}
			j++
			return nil
		})
	if err == nil && j != n {
		err = fmt.Errorf("import_insert returned %d rows for %d tasks", j, n)
	}
	return blocked, err
}

// importBefore fills the results of the tasks at before, whose origins
// were imported into their queues before, with the IDs they became.
func (d *Driver) importBefore(ctx context.Context, tx pgx.Tx, tasks []driver.ImportTask, before []int, results []driver.ImportResult) error {
	n := len(before)
	if n == 0 {
		return nil
	}
	queues, origins, originIDs := make([]string, n), make([]string, n), make([]int64, n)
	for j, i := range before {
		queues[j], origins[j], originIDs[j] = tasks[i].Task.Queue, tasks[i].Origin, tasks[i].Task.ID
	}
	found := 0
	err := pgxRunner(tx)(ctx, d.q.imp.existing, []any{queues, origins, originIDs}, func(scan func(...any) error) error {
		var ord, id int64
		if err := scan(&ord, &id); err != nil {
			return err
		}
		if ord < 1 || ord > int64(n) {
			return fmt.Errorf("import_existing returned input %d of %d", ord, n)
		}
		results[before[ord-1]] = driver.ImportResult{ID: id}
		found++
		return nil
	})
	if err == nil && found != n {
		// import_claim found each of them recorded by a transaction that
		// committed, and records are never deleted once committed.
		err = fmt.Errorf("import_existing found %d of %d origins recorded before", found, n)
	}
	return err
}
