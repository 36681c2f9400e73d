package redis

import (
	"context"
	"errors"
	"fmt"
	"strings"

	goredis "github.com/redis/go-redis/v9"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/internal/uniquekey"
)

// Error codes of the driver's own scripts: the first word of the error
// replies that lua/migrations raise (redis.error_reply).
const (
	codeForeign  = "GOSK_FOREIGN" // the prefix's meta key was not written by gosk
	codeNewer    = "GOSK_NEWER"   // a newer gosk migrated the prefix
	codeNoScript = "NOSCRIPT"     // Redis's: the server lacks the script
)

// errorCode returns the code of an error reply of the server (its first
// word, as the protocol lays error replies out: "NOSCRIPT No matching
// script"), or "" for an error that is not a reply of the server.
func errorCode(err error) string {
	var rerr goredis.Error
	if !errors.As(err, &rerr) {
		return ""
	}
	// Some servers that speak the protocol (KVRocks) put "ERR " before
	// every code, as go-redis's own HasErrorPrefix allows for.
	code, _, _ := strings.Cut(strings.TrimPrefix(rerr.Error(), "ERR "), " ")
	return code
}

// translate is the driver's one error translation, applied at every return
// of a store error: context errors are returned as they are; redis.Nil
// becomes driver.ErrTaskNotFound, a closed client driver.ErrClosed, both
// wrapped so the cause stays reachable; the error codes of the driver's
// own scripts say what went wrong; anything else is wrapped with
// "gosk/redis:".
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
	}
	switch errorCode(err) {
	case codeForeign:
		return fmt.Errorf("gosk/redis: the key prefix is used by something else (choose another Options.Prefix): %w", err)
	case codeNewer:
		return fmt.Errorf("gosk/redis: the store was migrated by a newer gosk; upgrade this program: %w", err)
	}
	return fmt.Errorf("gosk/redis: %w", err)
}

// Per-item result codes of the scripts (see lua/base.lua).
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
		return driver.NewTaskError(id, err, uniquekey.Held)
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
