package drivertest_test

import (
	"context"
	"slices"
)

// Queues of the broken driver queues-forget-paused lists only the queues
// that hold a task, as a driver that reads its task table alone would.
func (b *broken) Queues(ctx context.Context) ([]string, error) {
	got, err := b.Driver.Queues(ctx)
	if err != nil || b.name != "queues-forget-paused" {
		return got, err
	}
	paused, err := b.Driver.PausedQueues(ctx)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(got, func(q string) bool {
		if !slices.Contains(paused, q) {
			return false
		}
		n, err := b.Driver.Count(ctx, q)
		if err != nil {
			return false
		}
		var sum int64
		for _, c := range n {
			sum += c
		}
		return sum == 0
	}), nil
}
