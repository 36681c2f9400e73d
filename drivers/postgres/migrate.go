package postgres

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// ErrSchemaTooNew means the database was migrated by a newer gosk than the
// running code knows; upgrade the code, never downgrade the schema.
var ErrSchemaTooNew = errors.New("gosk/postgres: database schema is newer than this code")

// ErrForeignSchema means the schema holds a gosk_tasks table that gosk's
// migrations did not create; pick another Options.Schema.
var ErrForeignSchema = errors.New("gosk/postgres: schema holds a table gosk did not create")

// ErrEncoding means the database's encoding cannot hold every text the
// port allows (valid UTF-8 without NUL) byte for byte: gosk needs a
// database created with ENCODING 'UTF8' (or 'SQL_ASCII').
var ErrEncoding = errors.New("gosk/postgres: database encoding is not UTF8")

// migration is one numbered file of migrations/.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded migrations in version order, with the
// quoted schema in place. Files are named NNN_what.sql.
func migrations(quotedSchema string) ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("gosk/postgres: migration file %q is not named NNN_name.sql", e.Name())
		}
		b, err := migrationFiles.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: strings.ReplaceAll(string(b), "{{schema}}", quotedSchema)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("gosk/postgres: migration %s out of sequence: want version %d", m.name, i+1)
		}
	}
	return ms, nil
}

// LatestVersion is the schema version this code migrates to.
func LatestVersion() int {
	ms, err := migrations(`"x"`)
	if err != nil {
		return 0
	}
	return len(ms)
}

// migrate brings the schema to the latest version in one transaction,
// holding an advisory lock keyed by the schema name so that processes
// starting together migrate once: the others wait, then find nothing to do.
func (d *Driver) migrate(ctx context.Context) error {
	ms, err := migrations(pgx.Identifier{d.schema}.Sanitize())
	if err != nil {
		return err
	}
	err = pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
		var encoding string
		if err := tx.QueryRow(ctx, d.q.migrateEncoding).Scan(&encoding); err != nil {
			return err
		}
		if encoding != "UTF8" && encoding != "SQL_ASCII" {
			return fmt.Errorf("%w: the database is %s; unique keys and error texts are UTF-8", ErrEncoding, encoding)
		}
		if _, err := tx.Exec(ctx, d.q.migrateLock, d.schema); err != nil {
			return err
		}
		var hasVersion, hasTasks bool
		err := tx.QueryRow(ctx, d.q.migrateInspect,
			pgx.Identifier{d.schema, "gosk_schema_version"}.Sanitize(),
			pgx.Identifier{d.schema, "gosk_tasks"}.Sanitize(),
		).Scan(&hasVersion, &hasTasks)
		if err != nil {
			return err
		}
		if hasTasks && !hasVersion {
			return fmt.Errorf("%w: schema %q has gosk_tasks but no gosk_schema_version", ErrForeignSchema, d.schema)
		}
		if _, err := tx.Exec(ctx, d.q.migrateBootstrap); err != nil {
			return err
		}
		var version int
		if err := tx.QueryRow(ctx, d.q.migrateVersion).Scan(&version); err != nil {
			return err
		}
		if version > len(ms) {
			return fmt.Errorf("%w: schema %q is at version %d, this code knows up to %d", ErrSchemaTooNew, d.schema, version, len(ms))
		}
		for _, m := range ms[version:] {
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return fmt.Errorf("migration %s: %w", m.name, err)
			}
			if _, err := tx.Exec(ctx, d.q.migrateRecord, m.version); err != nil {
				return fmt.Errorf("migration %s: %w", m.name, err)
			}
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, ErrSchemaTooNew) || errors.Is(err, ErrForeignSchema) || errors.Is(err, ErrEncoding) {
			return err
		}
		return fmt.Errorf("gosk/postgres: migrate schema %q: %w", d.schema, err)
	}
	return nil
}
