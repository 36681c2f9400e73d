// Package testenv finds the servers that gosk's tests run against.
//
// Tests read the server addresses from GOSK_TEST_POSTGRES_URL and
// GOSK_TEST_REDIS_URL. Without one, a test skips and says which variable
// to set; with GOSK_TEST_REQUIRE_SERVICES=1 (as CI sets it) it fails
// instead, so a missing server can never pass silently.
package testenv

import (
	"os"
	"testing"
)

// The environment variables the tests read.
const (
	PostgresVar = "GOSK_TEST_POSTGRES_URL"
	RedisVar    = "GOSK_TEST_REDIS_URL"
	RequireVar  = "GOSK_TEST_REQUIRE_SERVICES"
)

// Required reports whether a missing server must fail the test.
func Required() bool { return os.Getenv(RequireVar) == "1" }

// URL returns the value of the variable name, or skips the test (fails it
// when Required) if it is not set.
func URL(t testing.TB, name string) string {
	t.Helper()
	u := os.Getenv(name)
	if u != "" {
		return u
	}
	if Required() {
		t.Fatalf("%s=1 but %s is not set", RequireVar, name)
	}
	t.Skipf("set %s to run this test against a real server", name)
	return ""
}

// Unavailable fails (when Required) or skips a test whose server did not
// answer.
func Unavailable(t testing.TB, what string, err error) {
	t.Helper()
	if Required() {
		t.Fatalf("%s is not reachable: %v", what, err)
	}
	t.Skipf("%s is not reachable (%v); skipping", what, err)
}
