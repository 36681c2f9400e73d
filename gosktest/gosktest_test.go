package gosktest_test

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// recorder is a testing.TB that records failures instead of failing the
// real test, so that tests can check that a helper fails when it should
// and what it says. Fatalf and FailNow end the calling goroutine, as the
// real ones do; everything else goes to the real test.
type recorder struct {
	testing.TB

	mu     sync.Mutex
	msgs   []string
	failed bool
}

func (r *recorder) record(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, msg)
	r.failed = true
}

func (r *recorder) Errorf(format string, args ...any) { r.record(fmt.Sprintf(format, args...)) }
func (r *recorder) Error(args ...any)                 { r.record(fmt.Sprint(args...)) }
func (r *recorder) Fail()                             { r.record("Fail") }
func (r *recorder) Fatalf(format string, args ...any) {
	r.record(fmt.Sprintf(format, args...))
	runtime.Goexit()
}
func (r *recorder) Fatal(args ...any) {
	r.record(fmt.Sprint(args...))
	runtime.Goexit()
}
func (r *recorder) FailNow() {
	r.record("FailNow")
	runtime.Goexit()
}
func (r *recorder) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed
}

// message returns everything recorded, one message a line.
func (r *recorder) message() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.msgs, "\n")
}

// check runs fn with a recorder on a goroutine of its own, so that a
// Fatalf ends only it, and returns the recorder once fn has ended.
func check(t *testing.T, fn func(tb testing.TB)) *recorder {
	t.Helper()
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(r)
	}()
	<-done
	return r
}

// TestRecorder checks the recorder itself, so that a helper test that
// expects a failure cannot pass because the recorder never records one.
func TestRecorder(t *testing.T) {
	r := check(t, func(tb testing.TB) {
		tb.Fatalf("stop %d", 1)
		t.Error("Fatalf did not end the goroutine")
	})
	if !r.Failed() || r.message() != "stop 1" {
		t.Fatalf("recorder: failed %v, message %q", r.Failed(), r.message())
	}
	if r := check(t, func(testing.TB) {}); r.Failed() {
		t.Fatalf("recorder failed with nothing done: %q", r.message())
	}
}
