package postgres_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	neturl "net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivers/postgres"
)

// silentListener accepts connections on a loopback port and never says a
// word: a port that is not PostgreSQL. It returns the port's address.
func silentListener(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan struct{})
	var conns []net.Conn
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		<-done
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return ln.Addr().String()
}

// closedPort returns a loopback address where nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// Each mistake a new user makes with Open gets its own message that says
// what is wrong and where, within a bounded time, never with the password.
func TestOpenErrors(t *testing.T) {
	t.Parallel()
	silent, closed := silentListener(t), closedPort(t)
	const pw = "s3cret-Pw"
	cases := []struct {
		name    string
		url     string
		invalid bool     // wraps driver.ErrInvalid
		want    []string // each is in the message
	}{
		{"port not a number", "postgres://u:" + pw + "@127.0.0.1:notaport/db", true, []string{"cannot be parsed", "invalid port"}},
		{"unknown sslmode", "postgres://u:" + pw + "@127.0.0.1/db?sslmode=sometimes", true, []string{"cannot be parsed", "sslmode"}},
		{"bad connect_timeout", "host=127.0.0.1 user=u password=" + pw + " connect_timeout=soon", true, []string{"cannot be parsed", "connect_timeout"}},
		{"no equals sign", "host=127.0.0.1 user password=" + pw, true, []string{"cannot be parsed"}},
		{"closed port", "postgres://u:" + pw + "@" + closed + "/db?sslmode=disable", false, []string{"PostgreSQL at " + closed + " did not answer", "connect timeout 10s"}},
		{"not PostgreSQL", "postgres://u:" + pw + "@" + silent + "/db?sslmode=disable&connect_timeout=1", false, []string{"PostgreSQL at " + silent + " did not answer", "connect timeout 1s"}},
	}
	seen := map[string]string{}
	for _, c := range cases {
		start := time.Now()
		_, err := postgres.Open(context.Background(), c.url, nil) // no deadline: Open must bound itself
		took := time.Since(start)
		require.Error(t, err, c.name)
		msg := err.Error()
		t.Logf("%s (%v): %s", c.name, took.Round(time.Millisecond), msg)
		assert.Less(t, took, 8*time.Second, "%s: Open returns within its connect timeout", c.name)
		assert.Equal(t, c.invalid, errors.Is(err, driver.ErrInvalid), "%s: ErrInvalid exactly for a malformed string: %s", c.name, msg)
		for _, w := range c.want {
			assert.Contains(t, msg, w, "%s: the message says what is wrong and where", c.name)
		}
		assert.NotContains(t, msg, pw, "%s: the message never prints the password", c.name)
		assert.Equal(t, 1, strings.Count(msg, "gosk/postgres:"), "%s: one prefix: %s", c.name, msg)
		assert.NotContains(t, msg, "migrate", "%s: a failed connection is not a migration error", c.name)
		if other, dup := seen[msg]; dup {
			t.Errorf("%s and %s give the same message %q; each mistake needs its reason", c.name, other, msg)
		}
		seen[msg] = c.name
	}
}

// lockedBuffer is a bytes.Buffer safe for the listener's goroutine and the
// test's.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// The password of the connection string is in no log line, also when the
// listener loses its connection and reconnects (the server here trusts
// local connections, so any password is accepted).
func TestPasswordNotLogged(t *testing.T) {
	t.Parallel()
	raw := serverURL(t)
	schema := testSchema(t, raw)
	u, err := neturl.Parse(withAppName(raw, schema))
	require.NoError(t, err)
	// The URL's own password if it has one, else one the server ignores.
	pw, ok := u.User.Password()
	if !ok || pw == "" {
		pw = "s3cret-Pw-log"
		u.User = neturl.UserPassword(u.User.Username(), pw)
	}
	var logs lockedBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	d, err := postgres.Open(context.Background(), u.String(), &postgres.Options{Schema: schema, Logger: logger, ReconnectMin: 10 * time.Millisecond})
	if err != nil {
		require.NotContains(t, err.Error(), pw, "an Open error never prints the password")
	}
	require.NoError(t, err, "the test server must trust local connections or the URL carry the password")
	t.Cleanup(func() { _ = d.Close() })
	sub, err := d.Subscribe(context.Background(), "n")
	require.NoError(t, err)
	defer sub.Stop()
	killer := connect(t, raw)
	var killed int
	require.Eventually(t, func() bool {
		require.NoError(t, killer.QueryRow(context.Background(),
			"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN%'", schema).Scan(&killed))
		return killed == 1
	}, 10*time.Second, 10*time.Millisecond, "one listener connection to terminate")
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), "reconnected") },
		10*time.Second, 10*time.Millisecond, "the listener logs its reconnect")
	out := logs.String()
	t.Logf("log:\n%s", out)
	assert.Contains(t, out, "lost its connection", "the listener logs the lost connection with its error")
	assert.NotContains(t, out, pw, "no log line prints the password")
}
