package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"strconv"

	sqlite3 "modernc.org/sqlite/lib"
)

// layoutMark is the meta value that tells a gosk database from a foreign
// one that happens to use the same table names.
const layoutMark = "gosk-tasks"

// migrate brings the schema up to this code's version in one write
// transaction. BEGIN IMMEDIATE makes it safe from several processes at
// once: the first migrates, the others wait for the write lock, then find
// nothing to do.
func (d *Driver) migrate(ctx context.Context, prefix string) error {
	steps, err := loadMigrations(prefix)
	if err != nil {
		return err
	}
	if d.current(ctx, len(steps)) {
		return nil
	}
	err = d.write(ctx, func(c conn, _ int64) error {
		var metaTables, taskTables int
		if err := c.QueryRowContext(ctx, d.q.tableExists, prefix+"meta").Scan(&metaTables); err != nil {
			return err
		}
		if metaTables == 0 {
			if err := c.QueryRowContext(ctx, d.q.tableExists, prefix+"tasks").Scan(&taskTables); err != nil {
				return err
			}
			if taskTables > 0 {
				return fmt.Errorf("%w: table %s exists without %s; choose another Options.TablePrefix", ErrNotGosk, prefix+"tasks", prefix+"meta")
			}
			if _, err := c.ExecContext(ctx, d.q.metaCreate); err != nil {
				return err
			}
			for _, kv := range [][2]string{{"layout", layoutMark}, {"schema_version", "0"}} {
				if _, err := c.ExecContext(ctx, d.q.metaSet, kv[0], kv[1]); err != nil {
					return err
				}
			}
		}
		layout, err := d.metaValue(ctx, c, "layout")
		if err != nil {
			return err
		}
		if layout != layoutMark {
			return fmt.Errorf("%w: table %s has layout %q, want %q", ErrNotGosk, prefix+"meta", layout, layoutMark)
		}
		text, err := d.metaValue(ctx, c, "schema_version")
		if err != nil {
			return err
		}
		version, err := strconv.Atoi(text)
		if err != nil || version < 0 {
			return fmt.Errorf("%w: schema version %q is not a number", ErrNotGosk, text)
		}
		if version > len(steps) {
			return fmt.Errorf("%w: the database is at schema version %d, this code knows up to %d", ErrSchemaTooNew, version, len(steps))
		}
		for _, m := range steps[version:] {
			if _, err := c.ExecContext(ctx, m.sql); err != nil {
				return fmt.Errorf("migration %s: %w", m.name, err)
			}
			if _, err := c.ExecContext(ctx, d.q.metaSet, "schema_version", strconv.Itoa(m.version)); err != nil {
				return err
			}
		}
		return nil
	})
	return openError(err)
}

// current reports whether the database is already gosk's at version
// want, reading without taking the write lock, so that opening a file that
// other processes are busy writing does not wait for them.
func (d *Driver) current(ctx context.Context, want int) bool {
	layout, err := d.metaValue(ctx, d.db, "layout")
	if err != nil || layout != layoutMark {
		return false
	}
	version, err := d.metaValue(ctx, d.db, "schema_version")
	return err == nil && version == strconv.Itoa(want)
}

// metaValue reads a meta key; a missing key or a meta table of another
// shape means the database is not gosk's.
func (d *Driver) metaValue(ctx context.Context, c conn, key string) (string, error) {
	var v string
	err := c.QueryRowContext(ctx, d.q.metaGet, key).Scan(&v)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", fmt.Errorf("%w: meta key %q is missing", ErrNotGosk, key)
	case isCode(err, sqlite3.SQLITE_ERROR):
		return "", fmt.Errorf("%w: reading meta key %q: %w", ErrNotGosk, key, err)
	}
	return v, err
}

// openError marks the error of a file that is not an SQLite database, and
// says where an error that translate has not seen comes from.
func openError(err error) error {
	if err == nil || errors.Is(err, ErrNotGosk) {
		return err
	}
	if isCode(err, sqlite3.SQLITE_NOTADB) {
		return fmt.Errorf("%w: %w", ErrNotGosk, err)
	}
	var se *storeError
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.As(err, &se) || errors.Is(err, ErrSchemaTooNew) {
		return err // already says where it comes from
	}
	return fmt.Errorf("gosk/sqlite: open: %w", err)
}

// LatestVersion is the schema version this code migrates to: the number
// of its migrations. A database that Open or New accepted is at it.
func LatestVersion() int {
	files, _ := fs.Glob(migrationFiles, "migrations/*.sql")
	return len(files)
}
