package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivers/postgres"
)

// newDatabase creates a database with the given encoding on the test
// server, drops it when the test ends, and returns its URL.
func newDatabase(t *testing.T, encoding string) string {
	t.Helper()
	base := serverURL(t)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "gosk_test_enc_" + hex.EncodeToString(b)
	conn := connect(t, base)
	ctx := context.Background()
	_, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+
		" TEMPLATE template0 ENCODING '"+encoding+"' LC_COLLATE 'C' LC_CTYPE 'C'")
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("drop database %s: %v", name, err)
			return
		}
		defer c.Close(ctx) //nolint:errcheck
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(base)
	require.NoError(t, err)
	u.Path = "/" + name
	return u.String()
}

// A database whose encoding cannot hold every valid UTF-8 text is refused
// at Open, before anything is created in it, rather than failing later on
// the first emoji with a raw SQL error.
func TestOpenRefusesADatabaseThatCannotHoldUTF8(t *testing.T) {
	t.Parallel()
	dbURL := newDatabase(t, "LATIN1")
	_, err := postgres.Open(context.Background(), dbURL, nil)
	require.ErrorIs(t, err, postgres.ErrEncoding)
	require.Contains(t, err.Error(), "LATIN1")
	conn := connect(t, dbURL)
	var exists bool
	require.NoError(t, conn.QueryRow(context.Background(), "SELECT to_regnamespace('gosk') IS NOT NULL").Scan(&exists))
	require.False(t, exists, "a refused Open creates nothing")
}

// A SQL_ASCII database stores bytes unchecked, so every text the port lets
// through comes back exactly.
func TestOpenAcceptsSQLASCIIAndRoundTripsText(t *testing.T) {
	t.Parallel()
	dbURL := newDatabase(t, "SQL_ASCII")
	d, err := postgres.Open(context.Background(), dbURL, nil)
	require.NoError(t, err)
	defer d.Close() //nolint:errcheck
	ctx := context.Background()
	const key, msg = "ключ 🔑 \x01", "ошибка 🎉 \t\x7f\uFFFD"
	n := task("q")
	n.UniqueKey = key
	res, err := d.Create(ctx, []driver.NewTask{n})
	require.NoError(t, err)
	got, err := d.Claim(ctx, driver.ClaimParams{Queue: "q", Rule: driver.Fifo, Lease: time.Minute})
	require.NoError(t, err)
	require.Len(t, got, 1)
	errs, err := d.Finish(ctx, []driver.Outcome{{Lease: got[0].Lease, Kind: driver.Fail, Message: msg}})
	require.NoError(t, err)
	require.NoError(t, errs[0])
	rec, err := d.Get(ctx, res[0].ID)
	require.NoError(t, err)
	require.Equal(t, key, rec.UniqueKey)
	require.Equal(t, msg, rec.LastError)
}
