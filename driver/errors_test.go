package driver_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/gosk/gosk/driver"
)

func TestTaskErrorNamesTheTaskAndUnwrapsToItsSentinel(t *testing.T) {
	err := driver.NewTaskError(7, driver.ErrTaskConflict, "it is %s", driver.StatePending)
	if !errors.Is(err, driver.ErrTaskConflict) {
		t.Fatalf("errors.Is(%v, ErrTaskConflict) = false", err)
	}
	if got, want := err.Error(), "task 7: gosk: task state conflict: it is pending"; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
	var te *driver.TaskError
	if !errors.As(err, &te) || te.ID != 7 {
		t.Fatalf("errors.As: %v, %+v", err, te)
	}
	bare := driver.NewTaskError(3, driver.ErrTaskNotFound, "")
	if got, want := bare.Error(), "task 3: gosk: task not found"; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
}

func TestIsPortErrorSeesSentinelsThroughWrapping(t *testing.T) {
	for _, err := range []error{
		driver.ErrInvalid, driver.ErrClosed, driver.ErrDuplicate,
		driver.NewTaskError(1, driver.ErrLeaseLost, ""),
		fmt.Errorf("gosk/x: %w", driver.ErrTaskConflict),
	} {
		if !driver.IsPortError(err) {
			t.Errorf("IsPortError(%v) = false, want true", err)
		}
	}
	for _, err := range []error{nil, errors.New("connection reset"), context.Canceled} {
		if driver.IsPortError(err) {
			t.Errorf("IsPortError(%v) = true, want false", err)
		}
	}
}
