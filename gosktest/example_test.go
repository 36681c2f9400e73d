package gosktest_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/drivers/memory"
	"github.com/gosk/gosk/gosktest"
	"github.com/gosk/gosk/worker"
)

// Welcome is the payload of the examples' tasks.
type Welcome struct {
	To string `json:"to"`
}

// errMailDown stands for a mail server that did not answer.
var errMailDown = errors.New("mail server down")

// sendWelcome is the handler under test: it cancels a task with no
// address, and retries when the mail server is down.
func sendWelcome(_ context.Context, t *gosk.Task[Welcome]) error {
	if !strings.Contains(t.Payload.To, "@") {
		return gosk.ErrCancelTask
	}
	if t.Payload.To == "down@example.com" {
		return errMailDown
	}
	return nil
}

// signUp is code under test that creates a task.
func signUp(ctx context.Context, q *gosk.Queue[Welcome], address string) error {
	_, err := q.Create(ctx, Welcome{To: address}, nil)
	return err
}

// Run tests a handler's logic and the fate it gives its task, with no
// store and no worker. The function is the body of a test; the examples
// show them as literals because an Example has no *testing.T.
func ExampleRun() {
	testSendWelcome := func(t *testing.T) {
		ev := gosktest.Run(t, sendWelcome, Welcome{To: "no address"}, nil)
		if ev.Kind != worker.EventCancelled {
			t.Errorf("a task with no address: %v, want cancelled", ev.Kind)
		}

		// On its last attempt an error fails the task instead of retrying it.
		ev = gosktest.Run(t, sendWelcome, Welcome{To: "down@example.com"}, &gosktest.RunOptions{Attempt: 3, MaxAttempts: 3})
		if ev.Kind != worker.EventFailed || !errors.Is(ev.Err, errMailDown) {
			t.Errorf("mail server down on the last attempt: %v (%v), want failed", ev.Kind, ev.Err)
		}
	}
	_ = testSendWelcome // in a _test.go file: func TestSendWelcome(t *testing.T)
}

// RequireCreated tests the code that creates tasks, on any driver with
// driver.Admin: here the memory driver.
func ExampleRequireCreated() {
	testSignUp := func(t *testing.T) {
		drv := memory.New(nil)
		t.Cleanup(func() { _ = drv.Close() })
		q, err := gosk.NewQueue[Welcome](drv, "welcome", nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := signUp(t.Context(), q, "ann@example.com"); err != nil {
			t.Fatal(err)
		}
		task := gosktest.RequireCreated(t, q, func(w Welcome) bool { return w.To == "ann@example.com" })
		if task.MaxAttempts != gosk.DefaultMaxAttempts {
			t.Errorf("max attempts %d", task.MaxAttempts)
		}
	}
	_ = testSignUp // in a _test.go file: func TestSignUp(t *testing.T)
}

// Drain runs the flow end to end: the code under test creates tasks, a
// real worker handles all of them, and the test checks how they ended.
func ExampleDrain() {
	testSignUpFlow := func(t *testing.T) {
		drv := memory.New(nil)
		t.Cleanup(func() { _ = drv.Close() })
		q, err := gosk.NewQueue[Welcome](drv, "welcome", nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, address := range []string{"ann@example.com", "bob@example.com", "no address"} {
			if err := signUp(t.Context(), q, address); err != nil {
				t.Fatal(err)
			}
		}
		got := gosktest.Drain(t, q, sendWelcome, nil)
		if want := (gosktest.Drained{Completed: 2, Cancelled: 1}); got != want {
			t.Errorf("drained %+v, want %+v", got, want)
		}
	}
	_ = testSignUpFlow // in a _test.go file: func TestSignUpFlow(t *testing.T)
}
