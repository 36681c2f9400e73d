// Package retryonce runs a step until it has succeeded once, such as the
// schema migration that a lazily opened driver makes at its first call.
// Unlike sync.Once, a failed run does not count (the next caller tries
// again), and a caller waiting for another's run gives up when its own
// context ends.
package retryonce

import (
	"context"
	"sync/atomic"
)

// Once runs a step until it has succeeded once. Make it with New.
type Once struct {
	done atomic.Bool
	lock chan struct{} // a lock that a waiter can give up on
}

// New returns a Once whose step has not run.
func New() *Once {
	return &Once{lock: make(chan struct{}, 1)}
}

// Do runs step unless a run has already succeeded, one caller at a time,
// and returns step's error, or ctx's if ctx ends while it waits for
// another caller's run.
func (o *Once) Do(ctx context.Context, step func(context.Context) error) error {
	if o.done.Load() {
		return nil
	}
	select {
	case o.lock <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-o.lock }()
	if o.done.Load() {
		return nil
	}
	if err := step(ctx); err != nil {
		return err
	}
	o.done.Store(true)
	return nil
}

// Begin is how a call of a lazily readied store starts, with its checks
// in the port's order (see Batches in package driver's doc): checkOpen's
// error if the store is closed, whatever the input; then invalid, the
// call's verdict on its input; then step, run once (see Do) to ready the
// store.
func (o *Once) Begin(ctx context.Context, checkOpen func() error, invalid error, step func(context.Context) error) error {
	if err := checkOpen(); err != nil {
		return err
	}
	if invalid != nil {
		return invalid
	}
	return o.Do(ctx, step)
}
