// Package notask holds the one value behind worker.ErrNoTask and the
// deprecated gosk.ErrNoTask, so that both names are the same error while
// package gosk cannot import package worker (worker imports gosk).
package notask

import "errors"

// ErrNoTask is worker.ErrNoTask.
var ErrNoTask = errors.New("gosk: no task available")
