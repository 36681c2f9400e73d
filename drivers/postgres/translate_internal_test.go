package postgres

import (
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/gosk/gosk/driver"
)

// A text the database refuses to store is a refusal of the input
// (driver.ErrInvalid, which a worker does not retry), never a raw error,
// even if it got past the port's validators.
func TestTranslateEncodingErrorsAreInvalid(t *testing.T) {
	t.Parallel()
	d := &Driver{}
	for _, code := range []string{"22021", "22P05"} {
		raw := fmt.Errorf("finish: %w", &pgconn.PgError{Code: code, Message: "invalid byte sequence"})
		err := d.translate(raw)
		if !errors.Is(err, driver.ErrInvalid) {
			t.Errorf("SQLSTATE %s: got %v, want an error wrapping driver.ErrInvalid", code, err)
		}
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) {
			t.Errorf("SQLSTATE %s: the cause is kept", code)
		}
	}
	if err := d.translate(&pgconn.PgError{Code: "40P01"}); errors.Is(err, driver.ErrInvalid) {
		t.Errorf("a deadlock is not invalid input: %v", err)
	}
}
