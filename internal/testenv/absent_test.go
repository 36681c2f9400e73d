package testenv

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// outcome is how a test run on a recorder ended.
type outcome struct {
	failed, skipped bool
	msg             string
}

// recorder is a testing.TB that records how a test ends (Fatal or Skip)
// instead of ending the real test; like the real one, it stops the
// goroutine there.
type recorder struct {
	testing.TB
	out outcome
}

func (r *recorder) Helper() {}
func (r *recorder) Fatal(args ...any) {
	r.out = outcome{failed: true, msg: fmt.Sprint(args...)}
	runtime.Goexit()
}
func (r *recorder) Fatalf(format string, args ...any) { r.Fatal(fmt.Sprintf(format, args...)) }
func (r *recorder) Skip(args ...any) {
	r.out = outcome{skipped: true, msg: fmt.Sprint(args...)}
	runtime.Goexit()
}
func (r *recorder) Skipf(format string, args ...any) { r.Skip(fmt.Sprintf(format, args...)) }
func (r *recorder) Cleanup(func())                   {}

// record runs f on a recorder, on a goroutine of its own as the testing
// package runs a test, and returns how it ended.
func record(t *testing.T, f func(tb testing.TB)) outcome {
	t.Helper()
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r.out
}

// TestAbsent: a test that lacks what it needs skips and says why, and
// fails with GOSK_TEST_REQUIRE_SERVICES=1, so that CI never passes it by
// skipping.
func TestAbsent(t *testing.T) {
	const reason = "the thing is not there; install it"
	t.Setenv(RequireVar, "")
	got := record(t, func(tb testing.TB) { Absent(tb, reason) })
	if !got.skipped || got.msg != reason {
		t.Errorf("not required: got %+v, want a skip with the reason", got)
	}
	t.Setenv(RequireVar, "1")
	got = record(t, func(tb testing.TB) { Absent(tb, reason) })
	if !got.failed || !strings.Contains(got.msg, reason) || !strings.Contains(got.msg, RequireVar+"=1") {
		t.Errorf("required: got %+v, want a failure naming %s and the reason", got, RequireVar)
	}
}

// TestThrowawayServersWithoutBinaries: the fault tests' throwaway servers,
// whose binaries are missing, skip the test and say which binaries and
// how to install them, and fail it when the servers are required.
func TestThrowawayServersWithoutBinaries(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	lib := postgresLib
	postgresLib = t.TempDir()
	t.Cleanup(func() { postgresLib = lib })

	servers := map[string]struct {
		start func(testing.TB) *Server
		names string // what the message must name
	}{
		"Redis":      {func(tb testing.TB) *Server { return NewRedis(tb) }, "redis-server"},
		"PostgreSQL": {func(tb testing.TB) *Server { return NewPostgres(tb) }, "initdb"},
	}
	for name, s := range servers {
		t.Run(name, func(t *testing.T) {
			t.Setenv(RequireVar, "")
			got := record(t, func(tb testing.TB) { s.start(tb) })
			if !got.skipped || !strings.Contains(got.msg, s.names) || !strings.Contains(got.msg, "install") {
				t.Errorf("not required: got %+v, want a skip that names %s and how to install it", got, s.names)
			}
			t.Setenv(RequireVar, "1")
			got = record(t, func(tb testing.TB) { s.start(tb) })
			if !got.failed || !strings.Contains(got.msg, s.names) {
				t.Errorf("required: got %+v, want a failure that names %s", got, s.names)
			}
		})
	}
}
