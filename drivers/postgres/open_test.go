package postgres_test

import (
	"context"
	"errors"
	"net"
	"strings"
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
