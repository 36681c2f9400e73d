package sqlite

import (
	"context"
	"database/sql"
	sqldriver "database/sql/driver"
	"errors"
	"fmt"

	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/gosk/gosk/driver"
)

// translate is the adapter's one error translation, applied at every
// return of an error from the store: context errors come back as they are,
// a closed handle becomes driver.ErrClosed, sql.ErrNoRows becomes
// driver.ErrTaskNotFound, and anything else is a *storeError, which says
// it comes from this package. Port sentinels pass through.
func (d *Driver) translate(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		// SQLite reports an interrupted statement as its own error.
		return ctxErr
	}
	if driver.IsPortError(err) {
		return err
	}
	if d.closed.Load() || errors.Is(err, sql.ErrConnDone) || errors.Is(err, errDBClosed) {
		return fmt.Errorf("%w: %w", driver.ErrClosed, err)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: %w", driver.ErrTaskNotFound, err)
	}
	if errors.Is(err, sql.ErrTxDone) {
		// A creator of Tx used after the caller's transaction ended: the
		// caller's mistake, said as the other adapters say it.
		return fmt.Errorf("%w: gosk/sqlite: transaction has ended: %w", driver.ErrInvalid, err)
	}
	if isCode(err, sqlite3.SQLITE_BUSY) {
		return &storeError{err: err, what: "the database stayed locked by another process or transaction longer than the busy timeout"}
	}
	return &storeError{err: err}
}

// storeError is a failure of the store as translate reports it: the
// store's error, said to come from this package, and what it means when
// translate knows more than the error says.
type storeError struct {
	err  error
	what string
}

func (e *storeError) Error() string {
	if e.what == "" {
		return "gosk/sqlite: " + e.err.Error()
	}
	return "gosk/sqlite: " + e.what + ": " + e.err.Error()
}

func (e *storeError) Unwrap() error { return e.err }

// isCode reports whether err is an SQLite error with the primary result
// code code.
func isCode(err error, code int) bool {
	var se *msqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == code
}

// errDBClosed is the error database/sql returns for a call on a closed
// *sql.DB. The package does not export it, so it is taken once from a
// handle that is closed at birth, and translate compares errors rather
// than their text.
var errDBClosed = func() error {
	db := sql.OpenDB(noConnector{})
	_ = db.Close()
	return db.PingContext(context.Background())
}()

// noConnector is a database/sql connector that never connects.
type noConnector struct{}

func (noConnector) Connect(context.Context) (sqldriver.Conn, error) {
	return nil, errors.New("no connection")
}
func (noConnector) Driver() sqldriver.Driver { return nil }
