package redis_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivers/redis"
)

// listen returns a loopback address whose server accepts connections and
// then, if hangUp, closes each at once (a port that is not Redis and
// speaks first or hangs up), or else says nothing.
func listen(t *testing.T, hangUp bool) string {
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
			if hangUp {
				_ = c.Close()
				continue
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

// Each mistake a new user makes with Open gets its own message that says
// what is wrong and where, within a bounded time, never with the password.
func TestOpenErrors(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := ln.Addr().String()
	require.NoError(t, ln.Close())
	hangsUp, silent := listen(t, true), listen(t, false)
	const pw = "s3cret-Pw"
	cases := []struct {
		name    string
		url     string
		invalid bool
		want    []string
	}{
		{"port not a number", "redis://u:" + pw + "@127.0.0.1:notaport/0", true, []string{"cannot be parsed", "invalid port"}},
		{"bad scheme", "http://u:" + pw + "@127.0.0.1:6379/0", true, []string{"cannot be parsed", "scheme"}},
		{"bad database", "redis://u:" + pw + "@127.0.0.1:6379/zero", true, []string{"cannot be parsed", "database number"}},
		{"bad escape", "redis://u:" + pw + "%zz@127.0.0.1:6379/0", true, []string{"cannot be parsed"}},
		{"closed port", "redis://u:" + pw + "@" + closed + "/0", false, []string{"Redis at " + closed + " did not answer"}},
		{"hangs up", "redis://u:" + pw + "@" + hangsUp + "/0?max_retries=-1", false, []string{"Redis at " + hangsUp + " did not answer", "EOF"}},
		{"says nothing", "redis://u:" + pw + "@" + silent + "/0?read_timeout=300ms&max_retries=-1", false, []string{"Redis at " + silent + " did not answer"}},
	}
	seen := map[string]string{}
	for _, c := range cases {
		start := time.Now()
		_, err := redis.Open(context.Background(), c.url, nil) // no deadline: Open must bound itself
		took := time.Since(start)
		require.Error(t, err, c.name)
		msg := err.Error()
		t.Logf("%s (%v): %s", c.name, took.Round(time.Millisecond), msg)
		assert.Less(t, took, 8*time.Second, "%s: Open returns within its timeouts", c.name)
		assert.Equal(t, c.invalid, errors.Is(err, driver.ErrInvalid), "%s: ErrInvalid exactly for a malformed URL: %s", c.name, msg)
		for _, w := range c.want {
			assert.Contains(t, msg, w, "%s: the message says what is wrong and where", c.name)
		}
		assert.NotContains(t, msg, pw, "%s: the message never prints the password", c.name)
		assert.Equal(t, 1, strings.Count(msg, "gosk/redis:"), "%s: one prefix: %s", c.name, msg)
		if other, dup := seen[msg]; dup {
			t.Errorf("%s and %s give the same message %q; each mistake needs its reason", c.name, other, msg)
		}
		seen[msg] = c.name
	}
}

// A key prefix that tries to reach other keys (a glob, a hash tag, a
// separator of the protocol) is refused by New before any command is
// sent: the client here points at a closed port, and the refusal comes
// at once. Open refuses it the same way.
func TestPrefixInjectionRefused(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := ln.Addr().String()
	require.NoError(t, ln.Close())
	client := goredis.NewClient(&goredis.Options{Addr: closed, MaxRetries: -1})
	defer client.Close() //nolint:errcheck
	for _, p := range []string{"*", "gosk:*", "x?", "x[a]", "{x}", "x}", "x y", "x\r\nFLUSHALL\r\n", "x\x00", "x\xff", "é", "x'", strings.Repeat("p", redis.MaxPrefixLen+1)} {
		_, err := redis.New(context.Background(), client, &redis.Options{Prefix: p})
		require.ErrorIs(t, err, driver.ErrInvalid, "prefix %q", p)
		assert.Contains(t, err.Error(), "Options.Prefix", "the error names the option")
		_, err = redis.Open(context.Background(), "redis://"+closed+"/0", &redis.Options{Prefix: p})
		require.ErrorIs(t, err, driver.ErrInvalid, "Open with prefix %q refuses it before it connects", p)
	}
}
