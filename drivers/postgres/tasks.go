package postgres

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/internal/storeunit"
)

// Claim leases up to p.Limit tasks in one statement; see driver.Driver.
// ctx ends the wait for a connection; once sent, the statement, which
// never waits for a lock (SKIP LOCKED), is waited for: cut short while
// its answer travelled back, it left the tasks it leased to nobody until
// their lease ran out, an attempt of each used up (a task on its last
// attempt then failed without running).
func (d *Driver) Claim(ctx context.Context, p driver.ClaimParams) ([]driver.ClaimedTask, error) {
	p, err := driver.ValidateClaim(p)
	if err = d.begin(ctx, err); err != nil {
		return nil, err
	}
	conn, sent, done, err := d.sending(ctx)
	if err != nil {
		return nil, d.translate(err)
	}
	defer done()
	rows, err := conn.Query(sent, d.q.claim[p.Rule], p.Queue, p.Limit, storeunit.Micros(p.Lease), driver.LeaseExpiredMessage)
	if err != nil {
		return nil, d.translate(err)
	}
	defer rows.Close()
	var claimed []driver.ClaimedTask
	for rows.Next() {
		var c driver.ClaimedTask
		if err := scanRecord(rows.Scan, &c.Task, &c.Lease.Token); err != nil {
			return nil, d.translate(err)
		}
		c.Lease.TaskID = c.Task.ID
		claimed = append(claimed, c)
	}
	if err := rows.Err(); err != nil {
		return nil, d.translate(err)
	}
	return claimed, nil
}

// Ping extends leases in one statement; see driver.Driver.
func (d *Driver) Ping(ctx context.Context, leases []driver.Lease, extend time.Duration) ([]error, error) {
	if err := d.begin(ctx, driver.ValidatePing(leases, extend)); err != nil {
		return nil, err
	}
	ids, tokens := make([]int64, len(leases)), make([]int64, len(leases))
	for i, l := range leases {
		ids[i], tokens[i] = l.TaskID, l.Token
	}
	errs, err := d.perInputErrors(ctx, "ping", d.q.ping, []any{ids, tokens, storeunit.Micros(extend)}, ids, "leases", driver.ErrLeaseLost)
	return errs, d.translate(err)
}

// perInputErrors runs query, whose rows say, for each input in order (the
// task ids), whether the statement applied to it and whether its task
// exists, and answers each input with nil or a *driver.TaskError of
// driver.ErrTaskNotFound or refused. op and noun name the statement and
// its inputs in the error for a wrong row count. With no inputs it runs
// nothing.
func (d *Driver) perInputErrors(ctx context.Context, op, query string, args []any, ids []int64, noun string, refused error) ([]error, error) {
	n := len(ids)
	errs := make([]error, 0, n)
	if n == 0 {
		return errs, nil
	}
	err := pgxRunner(d.pool)(ctx, query, args, func(scan func(...any) error) error {
		var applied, exists bool
		if err := scan(&applied, &exists); err != nil {
			return err
		}
		if len(errs) == n {
			return fmt.Errorf("%s returned more rows than %s", op, noun)
		}
		id := ids[len(errs)]
		switch {
		case applied:
			errs = append(errs, nil)
		case !exists:
			errs = append(errs, driver.NewTaskError(id, driver.ErrTaskNotFound, ""))
		default:
			errs = append(errs, driver.NewTaskError(id, refused, ""))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(errs) != n {
		return nil, fmt.Errorf("%s returned %d rows for %d %s", op, len(errs), n, noun)
	}
	return errs, nil
}

// targetState is the state each outcome kind moves a task to.
var targetState = map[driver.OutcomeKind]driver.State{
	driver.Complete: driver.StateCompleted,
	driver.Cancel:   driver.StateCancelled,
	driver.Fail:     driver.StateFailed,
	driver.Release:  driver.StatePending,
}

// Finish applies outcomes in one statement (more than finishChunk of
// them in one transaction); see driver.Driver.
func (d *Driver) Finish(ctx context.Context, outcomes []driver.Outcome) ([]error, error) {
	if err := d.begin(ctx, driver.ValidateOutcomes(outcomes)); err != nil {
		return nil, err
	}
	errs, err := d.finish(ctx, outcomes)
	return errs, d.translate(err)
}

// finishChunk is the most outcomes one finish statement takes. The
// statement reaches each outcome by its position in the input arrays,
// and PostgreSQL finds the position in an array, or an element of an
// array of texts, by walking it from the start: its time grows with the
// square of the batch (1,000 outcomes took 27 ms here, 10,000 took 1.2 s
// and 30,000 took 10.4 s). A larger Finish runs in chunks of this size,
// in one transaction, so that its time grows with the batch (30,000 in
// 0.5 s) and it still applies all or nothing. The worker's batches
// (Config.FinishBatch, default 100) are one statement.
const finishChunk = 250

func (d *Driver) finish(ctx context.Context, outcomes []driver.Outcome) ([]error, error) {
	if len(outcomes) <= finishChunk {
		return d.finishOn(ctx, d.pool, outcomes)
	}
	// Chunks in task-ID order, so that the transaction takes its row
	// locks in that order, as one statement does.
	order := make([]int, len(outcomes))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(outcomes[a].Lease.TaskID, outcomes[b].Lease.TaskID) })
	errs := make([]error, len(outcomes))
	err := d.inTx(ctx, func(tx pgx.Tx) error {
		part := make([]driver.Outcome, 0, finishChunk)
		for start := 0; start < len(order); start += finishChunk {
			chunk := order[start:min(start+finishChunk, len(order))]
			part = part[:0]
			for _, i := range chunk {
				part = append(part, outcomes[i])
			}
			got, err := d.finishOn(ctx, tx, part)
			if err != nil {
				return err
			}
			for k, i := range chunk {
				errs[i] = got[k]
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return errs, nil
}

// finishOn applies outcomes, at most finishChunk of them, in one statement
// on q (the pool, or the transaction of a larger Finish).
func (d *Driver) finishOn(ctx context.Context, q pgxQuerier, outcomes []driver.Outcome) ([]error, error) {
	n := len(outcomes)
	if n == 0 {
		return []error{}, nil
	}
	var (
		ids      = make([]int64, n)
		tokens   = make([]int64, n)
		states   = make([]string, n)
		messages = make([]string, n)
		delays   = make([]int64, n)
		keep     = make([]bool, n)
		results  = make([][]byte, n)
	)
	for i, o := range outcomes {
		ids[i], tokens[i], states[i] = o.Lease.TaskID, o.Lease.Token, string(targetState[o.Kind])
		messages[i], delays[i], keep[i] = o.Message, storeunit.Micros(o.Delay), o.KeepAttempt
		if len(o.Result) > 0 {
			results[i] = o.Result // nil, sent as NULL, means none
		}
	}
	// Each existing task answers with a row from the lock (applied false,
	// its state and token as locked) and, if its outcome applied, one more
	// (applied true); a task with no row does not exist.
	applied := make([]bool, n)
	seen := make([]bool, n)
	nowState := make([]string, n)
	nowToken := make([]int64, n)
	rows, err := q.Query(ctx, d.q.finish, ids, tokens, states, messages, delays, keep, d.channel, results)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var ord int64
		var ok bool
		var state *string
		var token *int64
		if err := rows.Scan(&ord, &ok, &state, &token); err != nil {
			return nil, err
		}
		i := int(ord) - 1
		if i < 0 || i >= n {
			return nil, fmt.Errorf("finish returned position %d for %d outcomes", ord, n)
		}
		switch {
		case ok:
			applied[i] = true
		case state != nil && token != nil:
			seen[i], nowState[i], nowToken[i] = true, *state, *token
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	errs := make([]error, n)
	var unsure []int // outcomes that did not apply although the lock said they would
	for i := range errs {
		switch {
		case applied[i]:
		case !seen[i]:
			errs[i] = driver.ErrTaskNotFound
		default:
			errs[i] = driver.CheckLease(driver.State(nowState[i]), nowToken[i], tokens[i])
			if errs[i] == nil {
				unsure = append(unsure, i)
				errs[i] = driver.ErrLeaseLost
			}
		}
	}
	if len(unsure) > 0 {
		// The row as locked said the outcome would apply, yet it did not:
		// read the rows again to decide by the fencing order (another
		// finish of the same lease makes it a conflict).
		want := make([]int64, len(unsure))
		for k, i := range unsure {
			want[k] = ids[i]
		}
		type current struct {
			state driver.State
			token int64
		}
		now := make(map[int64]current, len(unsure))
		rows, err := q.Query(ctx, d.q.leaseState, want)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var c current
			if err := rows.Scan(&id, &c.state, &c.token); err != nil {
				return nil, err
			}
			now[id] = c
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
		for _, i := range unsure {
			c, ok := now[ids[i]]
			if !ok {
				errs[i] = driver.ErrTaskNotFound
				continue
			}
			if err := driver.CheckLease(c.state, c.token, tokens[i]); err != nil {
				errs[i] = err
			}
		}
	}
	for i, err := range errs {
		if err != nil {
			errs[i] = driver.NewTaskError(ids[i], err, "")
		}
	}
	return errs, nil
}

// Get returns one task's record; see driver.Driver.
func (d *Driver) Get(ctx context.Context, id int64) (driver.TaskRecord, error) {
	if err := d.begin(ctx, driver.ValidateID(id)); err != nil {
		return driver.TaskRecord{}, err
	}
	var rec driver.TaskRecord
	err := scanRecord(d.pool.QueryRow(ctx, d.q.get, id).Scan, &rec, &rec.Result)
	if err != nil {
		return driver.TaskRecord{}, d.translate(err)
	}
	return rec, nil
}

// scanRecord reads the columns every task query returns, in the order of
// get.sql, and then extra (the result of get.sql and list.sql, the token
// of claim.sql).
func scanRecord(scan func(...any) error, r *driver.TaskRecord, extra ...any) error {
	var (
		state    string
		priority int16
		attempt  int32
		max      int32
		leaseExp *time.Time
		final    *time.Time
	)
	dest := append([]any{&r.ID, &r.Queue, &r.Payload, &priority, &r.UniqueKey, &state, &attempt, &max,
		&r.LastError, &r.CreatedAt, &r.RunAt, &leaseExp, &final}, extra...)
	if err := scan(dest...); err != nil {
		return err
	}
	r.State, r.Priority, r.Attempt, r.MaxAttempts = driver.State(state), int(priority), int(attempt), int(max)
	if r.Payload == nil {
		r.Payload = []byte{}
	}
	if leaseExp != nil {
		r.LeaseExpiresAt = *leaseExp
	}
	if final != nil {
		r.FinalizedAt = *final
	}
	return nil
}
