package sqlite

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
)

// TestErrDBClosedIsDatabaseSQLs checks that the error translate takes for
// database/sql's "database is closed" is the one a closed handle returns.
func TestErrDBClosedIsDatabaseSQLs(t *testing.T) {
	require.EqualError(t, errDBClosed, "sql: database is closed")
	d, err := Open(t.Context(), filepath.Join(t.TempDir(), "closed.db"), nil)
	require.NoError(t, err)
	require.NoError(t, d.db.Close()) // under the driver, as a caller of New may
	require.ErrorIs(t, d.db.PingContext(t.Context()), errDBClosed)
	require.ErrorIs(t, d.translate(t.Context(), d.db.PingContext(t.Context())), driver.ErrClosed)
	require.NoError(t, d.Close())
}
