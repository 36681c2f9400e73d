package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/puddle/v2"

	"github.com/gosk/gosk/driver"
)

// errClosed is returned by every call after Close.
var errClosed = fmt.Errorf("%w: gosk/postgres", driver.ErrClosed)

// The SQLSTATEs that the driver acts on (PostgreSQL's appendix A, "Error
// Codes").
const (
	// codeUniqueViolation: a unique index refused a row.
	codeUniqueViolation = "23505"
	// codeNotInRepertoire: invalid byte sequence or NUL in a text
	// (character_not_in_repertoire).
	codeNotInRepertoire = "22021"
	// codeUntranslatable: a character the database's encoding lacks
	// (untranslatable_character).
	codeUntranslatable = "22P05"
)

// sqlState returns the SQLSTATE of an error that PostgreSQL raised, or ""
// for any other error.
func sqlState(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}

// translate is the one place where errors of pgx and PostgreSQL become the
// port's: no rows becomes driver.ErrTaskNotFound, a closed pool (or a call
// that raced Close) driver.ErrClosed, a text the database cannot hold
// driver.ErrInvalid, each wrapping the cause. Context errors and the
// port's own sentinels pass as they are.
func (d *Driver) translate(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case driver.IsPortError(err):
		return err
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("%w: %w", driver.ErrTaskNotFound, err)
	case errors.Is(err, pgx.ErrTxClosed), errors.Is(err, sql.ErrTxDone):
		// A creator of Tx or SQLTx used after the caller's transaction
		// ended: the caller's mistake, said as the other adapters say it.
		return fmt.Errorf("%w: gosk/postgres: transaction has ended: %w", driver.ErrInvalid, err)
	}
	switch sqlState(err) {
	case codeNotInRepertoire, codeUntranslatable:
		// The port's validators refuse every text that a UTF8 database
		// cannot hold, and Open refuses other encodings: this is a
		// defence, so that such a refusal is never a raw error that a
		// caller would retry.
		return fmt.Errorf("%w: gosk/postgres: the database cannot store the text: %w", driver.ErrInvalid, err)
	}
	if errors.Is(err, puddle.ErrClosedPool) || d.closed.Load() {
		return fmt.Errorf("%w: %w", driver.ErrClosed, err)
	}
	return fmt.Errorf("gosk/postgres: %w", err)
}
