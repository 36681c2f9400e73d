package postgres_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivers/postgres"
)

// secretMark starts every password the URL fuzz target puts in a
// connection string; an error that holds it has printed (at least part
// of) the password.
const secretMark = "pwQx7"

// openCancelled calls Open with a context that is already done, so that
// no input reaches a network: the connection string is parsed and the
// options checked, and one that parses fails at its first connection.
func openCancelled(t *testing.T, connString string, opts *postgres.Options) error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	d, err := postgres.Open(ctx, connString, opts)
	if err == nil {
		_ = d.Close()
		t.Fatalf("Open(%q) with a cancelled context succeeded", connString)
	}
	return err
}

// FuzzOpenURL gives Open arbitrary connection strings, as URLs and as
// key=value lists, with a password in them: Open never panics, a string
// that pgx cannot parse is ErrInvalid, and the error never holds the
// password.
func FuzzOpenURL(f *testing.F) {
	f.Add("postgres", "secret", "127.0.0.1:5432", "/test?sslmode=disable")
	f.Add("u", "se:cr@et", "host:badport", "/db")
	f.Add("u", "%zz", "[::1", "")
	f.Add("u", "p", "h", "/db?sslmode=bogus&connect_timeout=x")
	f.Add("u", "p w'\\", "h", "/db?pool_max_conns=-1")
	f.Add("u\x00", "\n", "h\x7f", "#frag")
	f.Add("", "", "", "")
	f.Fuzz(func(t *testing.T, user, password, host, rest string) {
		for _, s := range []string{user, host, rest} {
			if strings.Contains(s, secretMark) {
				return
			}
		}
		for _, cs := range []string{
			"postgres://" + user + ":" + secretMark + password + "@" + host + rest,
			"user=" + user + " password=" + secretMark + password + " host=" + host + " " + rest,
			"user='" + user + "' password='" + secretMark + password + "' host='" + host + "' " + rest,
		} {
			err := openCancelled(t, cs, nil)
			if strings.Contains(err.Error(), secretMark) {
				t.Fatalf("Open's error prints the password of %q: %v", cs, err)
			}
			if _, perr := pgxpool.ParseConfig(cs); perr != nil && !errors.Is(err, driver.ErrInvalid) {
				t.Fatalf("Open(%q) = %v; want ErrInvalid for a connection string that does not parse", cs, err)
			}
		}
	})
}

// FuzzOpenOptions gives Open arbitrary options: each that breaks its rule
// is refused with ErrInvalid before any connection.
func FuzzOpenOptions(f *testing.F) {
	f.Add("", int32(0), int64(0), int64(0))
	f.Add("gosk", int32(4), int64(time.Second), int64(time.Minute))
	f.Add(`a"; DROP SCHEMA public; --`, int32(-1), int64(-1), int64(-1))
	f.Add("\x00", int32(1), int64(time.Minute), int64(time.Second))
	f.Add("\xff", int32(1), int64(0), int64(1))
	f.Add(strings.Repeat("s", 64), int32(1), int64(0), int64(0))
	f.Fuzz(func(t *testing.T, schema string, maxConns int32, rmin, rmax int64) {
		opts := &postgres.Options{Schema: schema, MaxConns: maxConns, ReconnectMin: time.Duration(rmin), ReconnectMax: time.Duration(rmax)}
		err := openCancelled(t, "postgres://u:"+secretMark+"@127.0.0.1:1/db?sslmode=disable", opts)
		lo, hi := time.Duration(rmin), time.Duration(rmax)
		if lo == 0 {
			lo = postgres.DefaultReconnectMin
		}
		if hi == 0 {
			hi = max(postgres.DefaultReconnectMax, lo)
		}
		valid := schemaAllowed(schema) && maxConns >= 0 && rmin >= 0 && rmax >= 0 && hi >= lo
		if valid == errors.Is(err, driver.ErrInvalid) {
			t.Fatalf("Open(%+v) = %v; want ErrInvalid exactly for options outside their rules", opts, err)
		}
		if strings.Contains(err.Error(), secretMark) {
			t.Fatalf("Open's error prints the password: %v", err)
		}
	})
}

// schemaAllowed is Options.Schema's rule, written again from its doc: empty
// (the default), or 1 to 63 ASCII letters, digits, _ and -, starting with
// a letter or _, and not pg_.
func schemaAllowed(s string) bool {
	return s == "" || len(s) <= 63 && schemaName.MatchString(s) && !strings.HasPrefix(strings.ToLower(s), "pg_")
}

var schemaName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)
