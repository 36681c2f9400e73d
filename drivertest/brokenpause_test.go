package drivertest_test

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/gosk/gosk/driver"
)

// The broken drivers of pauses and of Due. Those whose break the memory
// driver cannot show keep the pauses themselves, in ownPauses, and leave
// the memory driver's queues unpaused.

// ownPauses are the pauses of the broken drivers that keep them, by driver.
var ownPauses sync.Map // *broken -> *pauseSet

type pauseSet struct {
	mu     sync.Mutex
	queues map[string]bool
}

// keepsOwnPauses reports whether b keeps its pauses itself.
func (b *broken) keepsOwnPauses() bool {
	return b.name == "claim-ignores-pause" || b.name == "resume-does-not-wake"
}

func (b *broken) pauses() *pauseSet {
	p, _ := ownPauses.LoadOrStore(b, &pauseSet{queues: map[string]bool{}})
	return p.(*pauseSet)
}

// heldByOwnPause reports whether a claim of queue must return nothing
// because b keeps the queue's pause itself and honours it.
func (b *broken) heldByOwnPause(queue string) bool {
	if b.name != "resume-does-not-wake" {
		return false
	}
	p := b.pauses()
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.queues[queue]
}

func (b *broken) Pause(ctx context.Context, queues []string) error {
	if !b.keepsOwnPauses() {
		return b.Driver.Pause(ctx, queues)
	}
	if err := driver.ValidateQueueNames(queues); err != nil {
		return err
	}
	p := b.pauses()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, q := range queues {
		p.queues[q] = true
	}
	return nil
}

func (b *broken) Resume(ctx context.Context, queues []string) error {
	if !b.keepsOwnPauses() {
		return b.Driver.Resume(ctx, queues)
	}
	if err := driver.ValidateQueueNames(queues); err != nil {
		return err
	}
	p := b.pauses()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, q := range queues {
		delete(p.queues, q)
	}
	if b.name == "claim-ignores-pause" {
		return b.Driver.Resume(ctx, queues) // which wakes
	}
	return nil // and wakes no one
}

func (b *broken) PausedQueues(ctx context.Context) ([]string, error) {
	if !b.keepsOwnPauses() {
		got, err := b.Driver.PausedQueues(ctx)
		if err == nil && b.name == "paused-queues-unsorted" {
			slices.Reverse(got)
		}
		return got, err
	}
	p := b.pauses()
	p.mu.Lock()
	defer p.mu.Unlock()
	out := []string{}
	for q := range p.queues {
		out = append(out, q)
	}
	slices.Sort(out)
	return out, nil
}

func (b *broken) Due(ctx context.Context, queues []string) ([]time.Duration, error) {
	if b.name == "due-many-names-fail" && len(queues) > 1600 {
		// As a Redis script that passed five keys per name to one command.
		return nil, errTooManyToUnpack
	}
	got, err := b.Driver.Due(ctx, queues)
	if err == nil && b.name == "due-results-reversed" {
		slices.Reverse(got)
	}
	if err == nil && b.name == "due-by-top-priority" {
		return b.dueByTopPriority(ctx, queues, got)
	}
	if err == nil && b.name == "due-short-by-a-tenth" {
		for i, d := range got {
			if d > 0 {
				got[i] = d - d/10
			}
		}
	}
	return got, err
}
