package dashboard

import (
	"context"
	"fmt"
	"slices"

	"github.com/gosk/gosk/driver"
)

// shown returns the queues the dashboard shows now, in the order shown:
// Options.Queues, or else those the store holds at this call.
func (h *Handler) shown(ctx context.Context) ([]string, error) {
	if h.lister == nil {
		return h.opts.Queues, nil
	}
	queues, err := h.lister.Queues(ctx)
	if err != nil {
		return nil, fmt.Errorf("list the store's queues: %w", err)
	}
	return queues, nil
}

// shows reports whether queue is shown now, and so may be seen and acted
// on. Without Options.Queues that asks the store, so that a crafted form
// cannot pause a queue the store does not hold (which would make one).
func (h *Handler) shows(ctx context.Context, queue string) (bool, error) {
	if h.lister == nil {
		return h.queues[queue], nil
	}
	if valid := driver.ValidateQueueName(queue) == nil; !valid {
		return false, nil // no store holds a queue of that name
	}
	queues, err := h.shown(ctx)
	if err != nil {
		return false, err
	}
	return slices.Contains(queues, queue), nil
}

// showsTask reports whether a task of queue may be seen and acted on.
// Without Options.Queues every task's queue is shown: the store lists
// each queue that holds a task.
func (h *Handler) showsTask(queue string) bool {
	return h.lister != nil || h.queues[queue]
}
