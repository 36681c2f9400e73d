package gosk

import (
	"context"
	"fmt"
	"slices"
)

// Pause pauses the queue, durably: until [Queue.Resume], no worker of
// any process claims its tasks (not even a task whose lease ran out), but
// Create still stores new ones, and tasks already running ping, finish
// and are retried as usual. Workers need nothing for it: they find
// nothing to claim and keep polling. Pausing a paused queue changes
// nothing. It needs [driver.Admin].
func (q *Queue[T]) Pause(ctx context.Context) error {
	a, err := q.admin()
	if err != nil {
		return err
	}
	if err := a.Pause(ctx, []string{q.name}); err != nil {
		return fmt.Errorf("gosk: pause queue %q: %w", q.name, err)
	}
	return nil
}

// Resume ends the queue's pause and wakes its workers (those on a driver
// with [driver.Notifier]; others find its tasks at their next poll).
// Resuming a queue that is not paused changes nothing. It needs
// [driver.Admin].
func (q *Queue[T]) Resume(ctx context.Context) error {
	a, err := q.admin()
	if err != nil {
		return err
	}
	if err := a.Resume(ctx, []string{q.name}); err != nil {
		return fmt.Errorf("gosk: resume queue %q: %w", q.name, err)
	}
	return nil
}

// Paused reports whether the queue is paused, as the store says now (by
// any process). It needs [driver.Admin].
func (q *Queue[T]) Paused(ctx context.Context) (bool, error) {
	a, err := q.admin()
	if err != nil {
		return false, err
	}
	names, err := a.PausedQueues(ctx)
	if err != nil {
		return false, fmt.Errorf("gosk: read the pause of queue %q: %w", q.name, err)
	}
	_, found := slices.BinarySearch(names, q.name)
	return found, nil
}
