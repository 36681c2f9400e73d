package redis

import (
	"context"
	"errors"
	"fmt"
	"strings"

	goredis "github.com/redis/go-redis/v9"

	"github.com/gosk/gosk/driver"
)

// translate is the driver's one error translation, applied at every return
// of a store error: context errors are returned as they are; redis.Nil
// becomes driver.ErrTaskNotFound, a closed client driver.ErrClosed, both
// wrapped so the cause stays reachable; errors raised by the driver's own
// scripts (GOSK_ prefix) name what went wrong; anything else is wrapped
// with "gosk/redis:".
func translate(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.Is(err, goredis.Nil):
		return fmt.Errorf("%w: %w", driver.ErrTaskNotFound, err)
	case errors.Is(err, goredis.ErrClosed):
		return fmt.Errorf("%w: %w", driver.ErrClosed, err)
	case strings.HasPrefix(err.Error(), "GOSK_FOREIGN"):
		return fmt.Errorf("gosk/redis: the key prefix is used by something else (choose another Options.Prefix): %w", err)
	case strings.HasPrefix(err.Error(), "GOSK_NEWER"):
		return fmt.Errorf("gosk/redis: the store was migrated by a newer gosk; upgrade this program: %w", err)
	}
	return fmt.Errorf("gosk/redis: %w", err)
}

// Per-item result codes of the scripts (see lua/common.lua).
const (
	codeOK = iota
	codeNotFound
	codeLeaseLost
	codeConflict
	codeDuplicate
)

// taskError is the port's error for a script's per-item code about task
// id: nil, or a *driver.TaskError that names the task.
func taskError(id, code int64) error {
	err := itemError(code)
	switch {
	case err == nil, !driver.IsPortError(err):
		return err
	case code == codeDuplicate: // only Retry answers it per task
		return driver.NewTaskError(id, err, "its unique key is held by another pending or running task")
	}
	return driver.NewTaskError(id, err, "")
}

// itemError maps a script's per-item code to the port's sentinel; Create
// results carry it bare, beside the ID of the task that holds the key.
func itemError(code int64) error {
	switch code {
	case codeOK:
		return nil
	case codeNotFound:
		return driver.ErrTaskNotFound
	case codeLeaseLost:
		return driver.ErrLeaseLost
	case codeConflict:
		return driver.ErrTaskConflict
	case codeDuplicate:
		return driver.ErrDuplicate
	}
	return fmt.Errorf("gosk/redis: script returned unknown code %d", code)
}
