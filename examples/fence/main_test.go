package main

import (
	"path/filepath"
	"testing"

	"github.com/gosk/gosk/internal/testenv"
)

// The program checks its own outcome (the worker's fence is greater than
// the stalled run's, the stalled run's write and complete change nothing)
// and returns an error when it does not hold.

func TestSQLite(t *testing.T) {
	t.Parallel()
	if err := run(t.Context(), settings{path: filepath.Join(t.TempDir(), "reports.db")}); err != nil {
		t.Fatal(err)
	}
}

// TestPostgres runs in a schema of its own, which holds the report table.
func TestPostgres(t *testing.T) {
	t.Parallel()
	url, schema := testenv.PostgresSchema(t)
	if err := run(t.Context(), settings{postgres: url, schema: schema}); err != nil {
		t.Fatal(err)
	}
}
