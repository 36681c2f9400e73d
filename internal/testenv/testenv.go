// Package testenv finds the servers that gosk's tests run against.
//
// Tests read the server addresses from GOSK_TEST_POSTGRES_URL and
// GOSK_TEST_REDIS_URL. When a variable is unset, the test tries the
// server's default loopback address (DefaultPostgresURL, DefaultRedisURL)
// with a short timeout and uses it if it answers, so that `make test` on a
// machine with local servers runs every test with no setup. When neither
// the variable nor the default address gives a server, the test skips
// and says why and what to set; the first such skip in a test binary is
// also printed once to stderr. With GOSK_TEST_REQUIRE_SERVICES=1 (as CI
// sets it) it fails instead, so a missing server can never pass
// silently.
package testenv

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// The environment variables the tests read.
const (
	PostgresVar = "GOSK_TEST_POSTGRES_URL"
	RedisVar    = "GOSK_TEST_REDIS_URL"
	RequireVar  = "GOSK_TEST_REQUIRE_SERVICES"
)

// The addresses tried when PostgresVar or RedisVar is unset.
const (
	DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	DefaultRedisURL    = "redis://127.0.0.1:6379/0"
)

// probeTimeout bounds the check of a default address.
const probeTimeout = 2 * time.Second

// Required reports whether a missing server must fail the test.
func Required() bool { return os.Getenv(RequireVar) == "1" }

// found is the outcome of looking for one server, made once per test
// binary.
type found struct {
	once sync.Once
	url  string
	why  string // why there is no url
	said sync.Once
}

var servers = map[string]*found{PostgresVar: {}, RedisVar: {}}

// Find returns the URL of the server that name (PostgresVar or RedisVar)
// stands for: the variable's value if it is set, or else the default
// loopback address if a server answers there. Without either it returns
// "" and the reason.
func Find(name string) (url, why string) {
	f := servers[name]
	if f == nil {
		return "", "unknown variable " + name
	}
	f.once.Do(func() {
		if u := os.Getenv(name); u != "" {
			f.url = u
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
		defer cancel()
		var def string
		var err error
		switch name {
		case PostgresVar:
			def, err = DefaultPostgresURL, probePostgres(ctx, DefaultPostgresURL)
		case RedisVar:
			def, err = DefaultRedisURL, probeRedis(ctx, "127.0.0.1:6379")
		}
		if err != nil {
			f.why = fmt.Sprintf("%s is not set and no server answered at %s (%v)", name, def, err)
			return
		}
		f.url = def
	})
	return f.url, f.why
}

func probePostgres(ctx context.Context, url string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	return conn.Close(ctx)
}

// probeRedis sends PING over a plain connection, so that the package
// needs no Redis client.
func probeRedis(ctx context.Context, addr string) error {
	var dialer net.Dialer
	conn, err := dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	buf := make([]byte, 64)
	n, err := conn.Read(buf)
	if err != nil {
		return err
	}
	if !strings.HasPrefix(string(buf[:n]), "+PONG") {
		return fmt.Errorf("answered %q to PING, not +PONG", strings.TrimSpace(string(buf[:n])))
	}
	return nil
}

// URL returns the URL of the server that name stands for (see Find), or
// skips the test (fails it when Required) if there is none.
func URL(t testing.TB, name string) string {
	t.Helper()
	u, why := Find(name)
	if u != "" {
		return u
	}
	if f := servers[name]; f != nil && !Required() {
		f.said.Do(func() {
			fmt.Fprintf(os.Stderr, "testenv: skipping the tests that need %s: %s; set %s or start the server (make services)\n",
				what(name), why, name)
		})
	}
	Absent(t, fmt.Sprintf("%s; set %s to run this test against a real server", why, name))
	return ""
}

func what(name string) string {
	switch name {
	case PostgresVar:
		return "PostgreSQL"
	case RedisVar:
		return "Redis"
	}
	return name
}

// Unavailable fails (when Required) or skips a test whose server did not
// answer.
func Unavailable(t testing.TB, what string, err error) {
	t.Helper()
	Absent(t, fmt.Sprintf("%s is not reachable: %v", what, err))
}

// Absent ends a test that cannot run for want of what it needs (a server,
// a server's binaries, /proc), reason saying what and how to get it: it
// skips the test, or fails it when Required, so that with
// GOSK_TEST_REQUIRE_SERVICES=1 (as CI sets it) nothing passes by being
// skipped. Every such decision in the tests goes through it.
func Absent(t testing.TB, reason string) {
	t.Helper()
	if Required() {
		t.Fatalf("%s=1, so this test may not skip: %s", RequireVar, reason)
	}
	t.Skip(reason)
}
