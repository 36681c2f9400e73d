package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/internal/storeunit"
	"github.com/gosk/gosk/internal/uniquekey"
)

// runner runs one query and calls each for every row it returns. It lets
// Create run on the pool, on a pgx.Tx and on a *sql.Tx alike.
type runner func(ctx context.Context, sql string, args []any, each func(scan func(dest ...any) error) error) error

// pgxQuerier is what the pool, a connection and a pgx.Tx share.
type pgxQuerier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func pgxRunner(q pgxQuerier) runner {
	return func(ctx context.Context, sql string, args []any, each func(scan func(dest ...any) error) error) error {
		rows, err := q.Query(ctx, sql, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		return eachRow(rows, each)
	}
}

// rowReader is what pgx.Rows and *sql.Rows share for reading.
type rowReader interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// eachRow calls each for every row of rows, stopping at the first error.
// The caller closes rows.
func eachRow(rows rowReader, each func(scan func(dest ...any) error) error) error {
	for rows.Next() {
		if err := each(rows.Scan); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Create stores tasks in one atomic step; see driver.Driver. A batch of
// up to 64 tasks without unique keys is one statement. A batch with
// unique keys is one transaction: its insert, and the read of the
// holders of keys it found taken, which must see holders committed after
// the insert's snapshot. So is a larger batch (see createInTx).
//
// Small batches of concurrent calls share their round trip and commit:
// see createGrouped.
func (d *Driver) Create(ctx context.Context, tasks []driver.NewTask) ([]driver.CreateResult, error) {
	if err := d.begin(ctx, driver.ValidateNewTasksMax(tasks, d.maxPayload)); err != nil {
		return nil, err
	}
	if len(tasks) == 0 {
		return []driver.CreateResult{}, nil
	}
	if len(tasks) > groupMaxCall {
		return d.createInTx(ctx, tasks)
	}
	return d.createGrouped(ctx, tasks)
}

// createAlone creates valid tasks in one statement, or one transaction
// when they have unique keys; its errors are translated. createGrouped
// runs its groups, of at most groupMaxTasks small tasks, through it.
//
// The statement commits by itself, so ctx ends only the wait for a
// connection: once sent, the statement is waited for, whatever ctx does
// (see sending). Cut short, it would leave the call
// returning the context's error for tasks the server had stored while
// its answer travelled back (12 of 126 calls of 60 tasks cancelled
// midway, here), and their caller would create them again. Such a
// statement takes milliseconds, and never waits for a lock: a keyed
// one, which may wait for the lock of a key, is a transaction instead.
func (d *Driver) createAlone(ctx context.Context, tasks []driver.NewTask) ([]driver.CreateResult, error) {
	if hasUniqueKey(tasks) {
		return d.createInTx(ctx, tasks)
	}
	conn, sent, done, err := d.sending(ctx)
	if err != nil {
		return nil, d.translate(err)
	}
	defer done()
	res, err := d.create(sent, pgxRunner(conn), tasks)
	return res, d.translate(err)
}

// sending takes a connection, waiting for one for as long as ctx allows,
// for a statement that commits by itself and whose effect the caller
// must learn (a create, a claim): it returns the connection and the
// context to send the statement with, and the function that releases
// both. That context is not cancelled with ctx: a statement cut short
// after the server had run it would have the call return the context's
// error for tasks it stored, or leased to nobody. It is bounded, so
// that a dead server cannot hold the call, by ctx's deadline or
// undoTimeout, whichever is later.
func (d *Driver) sending(ctx context.Context) (*pgxpool.Conn, context.Context, func(), error) {
	conn, err := d.pool.Acquire(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	limit := undoTimeout
	if deadline, ok := ctx.Deadline(); ok {
		limit = max(limit, time.Until(deadline))
	}
	sent, cancel := context.WithTimeout(context.WithoutCancel(ctx), limit)
	return conn, sent, func() { cancel(); conn.Release() }, nil
}

// createInTx creates valid tasks in a transaction of their own; its
// errors are translated. A Create of more than groupMaxCall tasks goes
// here whether it has unique keys or not: its insert may run, and its
// result rows travel back, for long enough that a context ending
// meanwhile is likely, and in a single statement, which commits by
// itself, the call would then return the context's error for tasks it
// had stored (caught for about one in seven cancelled calls of 3,000
// tasks). In a transaction a cancelled insert stores nothing, and the
// commit, once reached, is waited for (see inTx). Two round trips more
// are little beside such a batch.
func (d *Driver) createInTx(ctx context.Context, tasks []driver.NewTask) ([]driver.CreateResult, error) {
	var res []driver.CreateResult
	err := d.inTx(ctx, func(tx pgx.Tx) (err error) {
		res, err = d.create(ctx, pgxRunner(tx), tasks)
		return err
	})
	if err != nil {
		return nil, d.translate(err)
	}
	return res, nil
}

// undoTimeout bounds a rollback that runs after the caller's context
// ended, so that a dead server cannot hold the call, and a commit that
// the caller's context no longer bounds.
const undoTimeout = 5 * time.Second

// commit commits tx unless ctx has ended, and then waits for the commit
// whatever ctx does, within undoTimeout: see inTx.
func commit(ctx context.Context, tx pgx.Tx) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), undoTimeout)
	defer cancel()
	return tx.Commit(cctx)
}

// inTx runs fn in a transaction of its own and commits it. When fn or the
// commit fails it rolls the transaction back, within undoTimeout even
// after ctx ended, and returns the error untranslated. (After a failed
// commit Rollback does nothing; after a failed step it ends the
// transaction, or closes the connection, which ends it too.)
//
// The commit runs without ctx's cancellation, within undoTimeout: once
// fn has done its work the outcome is the commit's, and a commit cut
// short by ctx may have been applied by the server while the call
// returned the context's error, telling its caller that nothing was
// stored. A context that ends before the commit is sent still stores
// nothing: fn's statements are cancelled, and the transaction rolled
// back.
func (d *Driver) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	tx, err := d.pool.Begin(ctx)
	if err != nil {
		return err
	}
	if err = fn(tx); err == nil {
		err = commit(ctx, tx)
	}
	if err != nil {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), undoTimeout)
		defer cancel()
		_ = tx.Rollback(rctx)
	}
	return err
}

// hasUniqueKey reports whether a task of the batch has a unique key, which
// may make its create read the holders of taken keys after the insert.
func hasUniqueKey(tasks []driver.NewTask) bool {
	for _, t := range tasks {
		if t.UniqueKey != "" {
			return true
		}
	}
	return false
}

// create inserts valid tasks through run. Tasks that repeat a unique key
// of an earlier task in the batch are not sent; they get the earlier
// task's answer. Conflicts with stored tasks are resolved by reading the
// holders' IDs after the insert, in a second statement: the caller runs
// create in a transaction when the batch has unique keys, so that an
// error of the second step undoes the first.
func (d *Driver) create(ctx context.Context, run runner, tasks []driver.NewTask) ([]driver.CreateResult, error) {
	results := make([]driver.CreateResult, len(tasks))
	if len(tasks) == 0 {
		return results, nil
	}
	send, repeatOf := uniquekey.Split(tasks)

	var (
		queues     = make([]string, len(send))
		payloads   = make([][]byte, len(send))
		priorities = make([]int16, len(send))
		delays     = make([]int64, len(send))
		attempts   = make([]int32, len(send))
		keys       = make([]string, len(send))
	)
	for j, i := range send {
		t := tasks[i]
		queues[j], priorities[j], delays[j], attempts[j], keys[j] =
			t.Queue, int16(t.Priority), storeunit.Micros(t.Delay), int32(t.MaxAttempts), t.UniqueKey
		payloads[j] = t.Payload
		if payloads[j] == nil {
			payloads[j] = []byte{}
		}
	}
	var blocked []int // indexes into tasks of rows the unique index turned away
	j := 0
	err := run(ctx, d.q.create, []any{queues, payloads, priorities, delays, attempts, keys, d.seq, d.channel},
		func(scan func(...any) error) error {
			var id int64
			var inserted bool
			if err := scan(&id, &inserted); err != nil {
				return err
			}
			if j >= len(send) {
				return errors.New("create returned more rows than tasks")
			}
			i := send[j]
			j++
			if inserted {
				results[i].ID = id
			} else {
				blocked = append(blocked, i)
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	if j != len(send) {
		return nil, fmt.Errorf("create returned %d rows for %d tasks", j, len(send))
	}
	if len(blocked) > 0 && d.betweenCreateSteps != nil {
		var pid uint32
		err := run(ctx, "SELECT pg_backend_pid()", nil, func(scan func(...any) error) error { return scan(&pid) })
		if err == nil {
			err = d.betweenCreateSteps(ctx, pid)
		}
		if err != nil {
			return nil, err
		}
	}
	if len(blocked) > 0 {
		if err := d.resolveHolders(ctx, run, tasks, blocked, results); err != nil {
			return nil, err
		}
	}
	uniquekey.Answer(results, repeatOf)
	return results, nil
}

// resolveHolders fills the results of tasks whose unique key was held, with
// the holder's ID and ErrDuplicate.
func (d *Driver) resolveHolders(ctx context.Context, run runner, tasks []driver.NewTask, blocked []int, results []driver.CreateResult) error {
	holders := make(map[uniquekey.Key]int64, len(blocked))
	lookup := func(sql string, want []int) error {
		queues, keys := make([]string, len(want)), make([]string, len(want))
		for n, i := range want {
			queues[n], keys[n] = tasks[i].Queue, tasks[i].UniqueKey
		}
		return run(ctx, sql, []any{queues, keys}, func(scan func(...any) error) error {
			var k uniquekey.Key
			var id int64
			if err := scan(&k.Queue, &k.Key, &id); err != nil {
				return err
			}
			holders[k] = id
			return nil
		})
	}
	if err := lookup(d.q.createExisting, blocked); err != nil {
		return err
	}
	var gone []int
	for _, i := range blocked {
		if _, ok := holders[uniquekey.Of(tasks[i])]; !ok {
			gone = append(gone, i)
		}
	}
	if len(gone) > 0 {
		// The holder was finalised between the insert and the read.
		if err := lookup(d.q.createHolder, gone); err != nil {
			return err
		}
	}
	for _, i := range blocked {
		id, ok := holders[uniquekey.Of(tasks[i])]
		if !ok {
			return fmt.Errorf("task %d: the task holding unique key %q was finalised and purged during the create; create it again", i, tasks[i].UniqueKey)
		}
		results[i] = driver.CreateResult{ID: id, Err: driver.ErrDuplicate}
	}
	return nil
}
