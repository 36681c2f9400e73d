package sqlite

import (
	"context"
	"database/sql"
	sqldriver "database/sql/driver"
	"errors"
	"sync/atomic"
	"time"

	sqlite3 "modernc.org/sqlite/lib"

	"github.com/gosk/gosk/driver"
)

// conn is what the statements of one batch run on: the driver's writer
// connection inside BEGIN IMMEDIATE, the caller's *sql.Tx, or the pool.
type conn interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// writeConn is the writer's connection with its prepared statements, one
// per query text, so that the SQL of a busy queue is parsed once rather
// than at every call. It is used by one write at a time.
//
// Its statements run without their context's cancellation: inside the
// transaction they hold the write lock and never wait, and SQLite answers
// an interrupted INSERT, UPDATE or DELETE by rolling back the whole
// transaction, which would undo the other calls of the group. Only BEGIN,
// which may wait for the lock, can be cut short (see begin).
type writeConn struct {
	c     *sql.Conn
	stmts map[string]*sql.Stmt
}

func (w *writeConn) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := w.stmts[query]; ok {
		return st, nil
	}
	st, err := w.c.PrepareContext(context.WithoutCancel(ctx), query)
	if err != nil {
		return nil, err
	}
	w.stmts[query] = st
	return st, nil
}

func (w *writeConn) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := w.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(context.WithoutCancel(ctx), args...)
}

// begin starts the write transaction; it may wait for another process's
// write lock, for as long as ctx allows.
func (w *writeConn) begin(ctx context.Context) error {
	st, err := w.stmt(ctx, "BEGIN IMMEDIATE")
	if err != nil {
		return err
	}
	_, err = st.ExecContext(ctx)
	return err
}

func (w *writeConn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := w.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(context.WithoutCancel(ctx), args...)
}

func (w *writeConn) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := w.stmt(ctx, query)
	if err != nil {
		// Let the connection report the error through the Row.
		return w.c.QueryRowContext(context.WithoutCancel(ctx), query, args...)
	}
	return st.QueryRowContext(context.WithoutCancel(ctx), args...)
}

// discard closes the connection for good rather than giving it back to
// the pool, which ends any transaction it was left in and releases its
// locks. The statements go first: SQLite cannot finalize them once their
// connection is closed.
func (w *writeConn) discard() {
	for q, st := range w.stmts {
		_ = st.Close()
		delete(w.stmts, q)
	}
	_ = w.c.Raw(func(any) error { return sqldriver.ErrBadConn })
}

func (w *writeConn) close() {
	for _, st := range w.stmts {
		_ = st.Close()
	}
	_ = w.c.Close()
}

// writerConn returns the writer's connection, taking one from the pool if
// it has none. The writer token is held.
func (d *Driver) writerConn(ctx context.Context) (*writeConn, error) {
	if d.w == nil {
		c, err := d.db.Conn(ctx)
		if err != nil {
			return nil, err
		}
		d.w = &writeConn{c: c, stmts: make(map[string]*sql.Stmt)}
	}
	return d.w, nil
}

// writeReq is one write call waiting for its turn.
type writeReq struct {
	ctx  context.Context
	fn   func(c conn, now int64) error
	done chan error // buffered: the group's leader never blocks on it
	// translate is the driver's error translation in the caller's context.
	translate func(error) error
}

// write runs fn in a write transaction and returns once its effect is
// committed, or undone if fn returns an error.
//
// Writes of one driver are grouped: a call queues its request and then
// either receives its result, or takes the writer token and becomes the
// leader that runs every queued request in one BEGIN IMMEDIATE
// transaction, each inside a savepoint of its own, with one COMMIT (one
// sync) for the group. A request whose fn fails is rolled back to its
// savepoint alone; the others commit. Grouping costs a lone writer
// nothing and lets concurrent callers (16 handlers finishing, many
// goroutines creating) share the commit. now is read for each request
// when it runs, under the write lock, so successive writes see the clock
// in order.
func (d *Driver) write(ctx context.Context, fn func(c conn, now int64) error) error {
	if d.closed.Load() {
		return driver.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	req := &writeReq{ctx: ctx, fn: fn, done: make(chan error, 1),
		translate: func(err error) error { return d.translate(ctx, err) }}
	d.pmu.Lock()
	d.pending = append(d.pending, req)
	if d.gatherFor > 0 && len(d.pending) >= d.gatherFor {
		d.gathered <- struct{}{}
		d.gatherFor = 0
	}
	d.pmu.Unlock()
	for {
		select {
		case err := <-req.done:
			return err
		case d.writer <- struct{}{}:
			d.lead(ctx)
			<-d.writer
			// Our request was in this group or in an earlier leader's;
			// its result is in req.done or on its way.
		case <-ctx.Done():
			if d.withdraw(req) {
				return ctx.Err()
			}
			// A leader has it: it checks ctx before running it.
			return <-req.done
		}
	}
}

// maxGather bounds how long a leader waits for its group to fill; see
// lead.
const maxGather = time.Millisecond

// lead runs the next group, the writer token held.
//
// If fewer requests are queued than there were writers at the end of the
// last commit (the last group and those that queued while it committed),
// it first waits for that many, but no longer than half the last commit
// took (at most maxGather): the callers of the last group, just given
// their results, are often about to write again, and a group that waits
// for them commits them all with one sync instead of two. Without the
// wait, the first of them to come back would lead a group of one while
// the others queue behind it. A writer alone (one writer at the end of
// the last commit) never waits.
func (d *Driver) lead(ctx context.Context) {
	d.pmu.Lock()
	if want := d.writers; len(d.pending) > 0 && len(d.pending) < want {
		d.gatherFor = want
		d.pmu.Unlock()
		wait := time.NewTimer(min(d.lastCommit/2, d.gatherMax))
		filled := false
		select {
		case <-d.gathered:
			filled = true
		case <-wait.C:
		case <-ctx.Done():
		}
		wait.Stop()
		d.pmu.Lock()
		if !filled && d.gatherFor == 0 {
			// The group filled as the wait ended: take back the signal.
			<-d.gathered
		}
		d.gatherFor = 0
	}
	group := d.pending
	d.pending = nil
	d.pmu.Unlock()
	if len(group) == 0 {
		return
	}
	d.commitGroup(ctx, group)
	d.pmu.Lock()
	d.writers = len(group) + len(d.pending)
	d.pmu.Unlock()
}

// withdraw takes req off the queue if no leader has taken it yet.
func (d *Driver) withdraw(req *writeReq) bool {
	d.pmu.Lock()
	defer d.pmu.Unlock()
	for i, r := range d.pending {
		if r == req {
			d.pending = append(d.pending[:i], d.pending[i+1:]...)
			return true
		}
	}
	return false
}

// commitGroup runs a group of requests in one transaction and sends each
// its result. ctx is the leader's; the group's steps carry its values but
// not its cancellation, which belongs to the leader's own request. The
// writer token is held.
func (d *Driver) commitGroup(ctx context.Context, group []*writeReq) {
	live := make([]*writeReq, 0, len(group))
	for _, r := range group {
		switch {
		case d.closed.Load():
			r.done <- driver.ErrClosed
		case r.ctx.Err() != nil:
			r.done <- r.ctx.Err()
		default:
			live = append(live, r)
		}
	}
	if len(live) == 0 {
		return
	}
	results := make([]error, len(live))
	if err := d.runGroup(ctx, live, results); err != nil {
		for i, r := range live {
			if results[i] == nil {
				results[i] = r.translate(err)
			}
		}
	}
	for i, r := range live {
		r.done <- results[i]
	}
}

// endAfterCancelledBegin leaves the writer's connection w with no
// transaction open after a BEGIN that its context cut short. On a file
// the connection is dropped: closing it releases whatever it held. An
// in-memory database lives in its one connection and would be lost with
// it (every task gone, and the next call finding no tables), so there the
// transaction, if BEGIN opened one, is rolled back instead (ROLLBACK
// fails, harmlessly, when none is open).
func (d *Driver) endAfterCancelledBegin(w *writeConn, keep context.Context) {
	if d.memory {
		_, _ = w.ExecContext(keep, "ROLLBACK")
		return
	}
	w.discard()
	d.w = nil
}

// groupContext returns a context that is done once every request's
// context is done (nobody is waiting for the group any more), for the
// steps of the group that may wait: taking a connection and BEGIN.
func groupContext(parent context.Context, live []*writeReq) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(parent))
	var remaining atomic.Int64
	remaining.Store(int64(len(live)))
	stops := make([]func() bool, len(live))
	for i, r := range live {
		stops[i] = context.AfterFunc(r.ctx, func() {
			if remaining.Add(-1) == 0 {
				cancel()
			}
		})
	}
	return ctx, func() {
		for _, stop := range stops {
			stop()
		}
		cancel()
	}
}

// runGroup runs live in one transaction, storing each request's own error
// in results, and returns an error of the transaction as a whole (nothing
// of the group was committed). The writer token is held.
func (d *Driver) runGroup(ctx context.Context, live []*writeReq, results []error) (err error) {
	gctx, release := groupContext(ctx, live)
	defer release()
	// Steps that must finish once started (savepoints, commit, rollback)
	// run even if every caller has given up meanwhile.
	keep := context.WithoutCancel(gctx)
	w, err := d.writerConn(gctx)
	if err != nil {
		return err
	}
	defer func() {
		if !d.keep || (err != nil && w != d.w) {
			w.close()
			if d.w == w {
				d.w = nil
			}
		}
	}()
	// The busy timeout makes BEGIN wait for another process's write lock,
	// but SQLite's lock is not fair: a process that writes without pause
	// can starve another's busy handler. BEGIN has done nothing yet, so it
	// is tried again for as long as someone waits for the group.
	for {
		if d.beforeBegin != nil {
			d.beforeBegin(gctx)
		}
		err := w.begin(gctx)
		if err == nil {
			break
		}
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			// The SQLite driver reports the context's error whenever the
			// context ended while the statement ran, even if BEGIN
			// succeeded: the connection may hold the write lock inside an
			// open transaction, which no later BEGIN would end.
			d.endAfterCancelledBegin(w, keep)
			return err
		}
		if !isCode(err, sqlite3.SQLITE_BUSY) || gctx.Err() != nil || d.closed.Load() {
			return err
		}
	}
	defer func() {
		if err == nil {
			return
		}
		// Roll back so the connection stays clean; if that fails too,
		// drop the connection (w != d.w tells the deferred close above).
		if _, rbErr := w.ExecContext(keep, "ROLLBACK"); rbErr != nil && !d.memory {
			w.discard()
			d.w = nil
		}
	}()
	if len(live) == 1 {
		// A lone request needs no savepoint: its failure undoes the
		// transaction.
		r := live[0]
		if err := r.fn(w, d.clock().UnixNano()); err != nil {
			results[0] = r.translate(err)
			return err
		}
	} else {
		for i, r := range live {
			if err := r.ctx.Err(); err != nil {
				results[i] = err
				continue
			}
			if _, err := w.ExecContext(keep, "SAVEPOINT gosk_write"); err != nil {
				return err
			}
			if ferr := r.fn(w, d.clock().UnixNano()); ferr != nil {
				results[i] = r.translate(ferr)
				if _, err := w.ExecContext(keep, "ROLLBACK TO gosk_write"); err != nil {
					return err
				}
			}
			if _, err := w.ExecContext(keep, "RELEASE gosk_write"); err != nil {
				return err
			}
		}
	}
	if d.beforeGroupCommit != nil {
		if err := d.beforeGroupCommit(); err != nil {
			return err
		}
	}
	start := time.Now()
	if _, err := w.ExecContext(keep, "COMMIT"); err != nil {
		return err
	}
	d.lastCommit = time.Since(start)
	return nil
}
