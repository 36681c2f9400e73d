package sqlite

import (
	"context"
	"database/sql"
	sqldriver "database/sql/driver"

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
type writeConn struct {
	c     *sql.Conn
	stmts map[string]*sql.Stmt
}

func (w *writeConn) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := w.stmts[query]; ok {
		return st, nil
	}
	st, err := w.c.PrepareContext(ctx, query)
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
	return st.ExecContext(ctx, args...)
}

func (w *writeConn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := w.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (w *writeConn) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := w.stmt(ctx, query)
	if err != nil {
		// Let the connection report the error through the Row.
		return w.c.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

func (w *writeConn) close() {
	for _, st := range w.stmts {
		_ = st.Close()
	}
	_ = w.c.Close()
}

// write runs fn in one write transaction, serialised with the other writes
// of this driver, and commits if fn returns nil. now is read once the write
// lock is held, so that successive writes see the clock in order.
func (d *Driver) write(ctx context.Context, fn func(c conn, now int64) error) (err error) {
	if d.closed.Load() {
		return driver.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case d.writer <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-d.writer }()
	if d.closed.Load() {
		return driver.ErrClosed
	}
	if d.w == nil {
		c, err := d.db.Conn(ctx)
		if err != nil {
			return d.translate(ctx, err)
		}
		d.w = &writeConn{c: c, stmts: make(map[string]*sql.Stmt)}
	}
	w := d.w
	defer func() {
		if !d.keep || (err != nil && w != d.w) {
			w.close()
			d.w = nil
		}
	}()
	// The busy timeout makes BEGIN wait for another process's write lock,
	// but SQLite's lock is not fair: a process that writes without pause
	// can starve another's busy handler. BEGIN has done nothing yet, so it
	// is tried again for as long as ctx allows.
	for {
		_, err := w.ExecContext(ctx, "BEGIN IMMEDIATE")
		if err == nil {
			break
		}
		if !isCode(err, sqlite3.SQLITE_BUSY) || ctx.Err() != nil || d.closed.Load() {
			return d.translate(ctx, err)
		}
	}
	defer func() {
		if err == nil {
			return
		}
		// Roll back even if ctx is done, so the connection stays clean; if
		// that fails too, drop the connection (w != d.w tells the deferred
		// close above).
		if _, rbErr := w.ExecContext(context.WithoutCancel(ctx), "ROLLBACK"); rbErr != nil {
			_ = w.c.Raw(func(any) error { return sqldriver.ErrBadConn })
			d.w = nil
		}
	}()
	if err := fn(w, d.clock().UnixNano()); err != nil {
		return d.translate(ctx, err)
	}
	if _, err := w.ExecContext(ctx, "COMMIT"); err != nil {
		return d.translate(ctx, err)
	}
	return nil
}
