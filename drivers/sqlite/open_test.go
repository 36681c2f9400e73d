package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
	gosksqlite "github.com/gosk/gosk/drivers/sqlite"
)

// Each mistake a new user makes with Open gets one message that says what
// is wrong and where: the path, the option.
func TestOpenErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	missing := filepath.Join(dir, "no", "such", "dir", "tasks.db")
	aDir := filepath.Join(dir, "a-directory")
	require.NoError(t, os.Mkdir(aDir, 0o755))
	cases := []struct {
		name    string
		dsn     string
		opts    *gosksqlite.Options
		invalid bool
		want    []string
	}{
		{"empty DSN", "", nil, true, []string{"DSN is empty"}},
		{"missing directory", missing, nil, false, []string{"open " + missing, "directory " + filepath.Dir(missing), "no such file or directory"}},
		{"missing directory, URI", "file:" + missing + "?mode=rwc", nil, false, []string{"open " + missing, "no such file or directory"}},
		{"a directory, not a file", aDir, nil, false, []string{"open " + aDir, "cannot be opened"}},
		{"negative payload limit", filepath.Join(dir, "x.db"), &gosksqlite.Options{MaxPayloadLen: -1}, true, []string{"Options.MaxPayloadLen"}},
		{"payload limit too high", filepath.Join(dir, "x.db"), &gosksqlite.Options{MaxPayloadLen: driver.MaxPayloadLimit + 1}, true, []string{"Options.MaxPayloadLen"}},
		{"negative busy timeout", filepath.Join(dir, "x.db"), &gosksqlite.Options{BusyTimeout: -1}, true, []string{"Options.BusyTimeout"}},
		{"unknown sync", filepath.Join(dir, "x.db"), &gosksqlite.Options{Sync: "sometimes"}, true, []string{"Options.Sync"}},
	}
	for _, c := range cases {
		_, err := gosksqlite.Open(context.Background(), c.dsn, c.opts)
		require.Error(t, err, c.name)
		msg := err.Error()
		t.Logf("%s: %s", c.name, msg)
		assert.Equal(t, c.invalid, errors.Is(err, driver.ErrInvalid), "%s: ErrInvalid exactly for a bad argument: %s", c.name, msg)
		for _, w := range c.want {
			assert.Contains(t, msg, w, "%s: the message says what is wrong and where", c.name)
		}
		assert.Equal(t, 1, strings.Count(msg, "gosk/sqlite:"), "%s: one prefix: %s", c.name, msg)
		if c.dsn != "" {
			assert.LessOrEqual(t, strings.Count(msg, c.dsn), 1, "%s: the path is named once: %s", c.name, msg)
		}
	}
	_, err := os.Stat(filepath.Join(dir, "x.db"))
	assert.ErrorIs(t, err, os.ErrNotExist, "refused options create no file")
}

// A table prefix that tries SQL injection is refused at Open and New, and
// nothing runs: no file is created, no table appears in a handle's file.
func TestTablePrefixInjectionRefused(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	hostile := []string{
		"x; DROP TABLE victim; --",
		`x" ; DROP TABLE victim; --`,
		"x'",
		"x`",
		"x]",
		"x\x00",
		"x y",
		"x.victim",
		"gosk_é",
		"1x",
		strings.Repeat("x", 33),
	}
	path := filepath.Join(dir, "shared.db")
	db, err := sql.Open("sqlite", path+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)")
	require.NoError(t, err)
	defer db.Close() //nolint:errcheck
	_, err = db.Exec("CREATE TABLE victim (x INTEGER)")
	require.NoError(t, err)
	for i, p := range hostile {
		file := filepath.Join(dir, "open"+string(rune('a'+i))+".db")
		_, err := gosksqlite.Open(context.Background(), file, &gosksqlite.Options{TablePrefix: p})
		require.ErrorIs(t, err, driver.ErrInvalid, "table prefix %q", p)
		assert.Contains(t, err.Error(), "Options.TablePrefix", "the error names the option")
		_, statErr := os.Stat(file)
		assert.ErrorIs(t, statErr, os.ErrNotExist, "Open with table prefix %q creates no file", p)

		_, err = gosksqlite.New(context.Background(), db, &gosksqlite.Options{TablePrefix: p})
		require.ErrorIs(t, err, driver.ErrInvalid, "New with table prefix %q", p)
		assert.Contains(t, err.Error(), "Options.TablePrefix", "the error names the option")
	}
	// A long prefix is refused by its length, not quoted whole.
	_, err = gosksqlite.Open(context.Background(), filepath.Join(dir, "long.db"), &gosksqlite.Options{TablePrefix: strings.Repeat("x", 10000)})
	require.ErrorIs(t, err, driver.ErrInvalid)
	assert.Contains(t, err.Error(), "Options.TablePrefix is 10000 bytes, longer than 32")
	assert.Less(t, len(err.Error()), 200, "the error does not quote a 10 KB prefix")
	var tables []string
	rows, err := db.Query("SELECT name FROM sqlite_master ORDER BY name")
	require.NoError(t, err)
	for rows.Next() {
		var n string
		require.NoError(t, rows.Scan(&n))
		tables = append(tables, n)
	}
	require.NoError(t, rows.Err())
	assert.Equal(t, []string{"victim"}, tables, "a refused table prefix creates or drops nothing in the file")
}
