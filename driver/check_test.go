package driver_test

import (
	"errors"
	"testing"

	"github.com/gosk/gosk/driver"
)

func TestCheckRetryAndCheckCancel(t *testing.T) {
	for _, c := range []struct {
		state           driver.State
		retry, cancel   bool // allowed
		retryText, text string
	}{
		{driver.StatePending, false, true, "task 4: gosk: task state conflict: it is pending; only failed and cancelled tasks are retried", ""},
		{driver.StateRunning, false, true, "task 4: gosk: task state conflict: it is running; only failed and cancelled tasks are retried", ""},
		{driver.StateCompleted, false, false, "task 4: gosk: task state conflict: it is completed; only failed and cancelled tasks are retried", "task 4: gosk: task state conflict: it is already completed"},
		{driver.StateCancelled, true, false, "", "task 4: gosk: task state conflict: it is already cancelled"},
		{driver.StateFailed, true, false, "", "task 4: gosk: task state conflict: it is already failed"},
	} {
		for _, k := range []struct {
			name    string
			err     error
			allowed bool
			text    string
		}{
			{"CheckRetry", driver.CheckRetry(4, c.state), c.retry, c.retryText},
			{"CheckCancel", driver.CheckCancel(4, c.state), c.cancel, c.text},
		} {
			if k.allowed {
				if k.err != nil {
					t.Errorf("%s(4, %s) = %v, want nil", k.name, c.state, k.err)
				}
				continue
			}
			var te *driver.TaskError
			if !errors.Is(k.err, driver.ErrTaskConflict) || !errors.As(k.err, &te) || te.ID != 4 {
				t.Errorf("%s(4, %s) = %#v, want a *TaskError for task 4 wrapping ErrTaskConflict", k.name, c.state, k.err)
				continue
			}
			if k.err.Error() != k.text {
				t.Errorf("%s(4, %s) reads %q, want %q", k.name, c.state, k.err.Error(), k.text)
			}
		}
	}
}
