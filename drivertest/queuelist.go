package drivertest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
)

// queueListRules pin driver.QueueLister: every queue that holds a task or
// is paused, once, in ascending byte order, and no queue that holds
// neither.
var queueListRules = []rule{
	{name: "EveryQueueOnceSorted", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		l, a := f.queueLister(), f.admin()
		got := f.queues(l)
		assert.NotNil(t, got, "rule: Queues returns an empty slice, not nil, when the store holds no queue")
		assert.Empty(t, got, "rule: a fresh store holds no queue")
		base := f.queue()
		f.create(task(base+"-c", "x"), task(base+"-c", "y"))
		f.inState(base+"-a", driver.StateCompleted)
		f.inState(base, driver.StateRunning)
		f.pause(a, base+"-c", base+"-b")
		assert.Equal(t, []string{base, base + "-a", base + "-b", base + "-c"}, f.queues(l),
			"rule: Queues lists each queue that holds a task (in any state) or is paused, once, in ascending byte order")
	}},
	{name: "PurgedQueueNotListed", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		l, a := f.queueLister(), f.admin()
		gone, kept := f.queue(), f.queue()
		f.inState(gone, driver.StateCompleted)
		f.inState(kept, driver.StatePending)
		n, err := a.Purge(f.ctx, driver.PurgeParams{Queue: gone})
		require.NoError(t, err, "Purge")
		require.Equal(t, 1, n, "Purge deletes the queue's one final task")
		assert.Equal(t, []string{kept}, f.queues(l),
			"rule: a queue whose every task was purged, and that is not paused, is not listed")
	}},
	{name: "CancelledContextOrClosedDriverRefused", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		l := f.queueLister()
		_, err := l.Queues(cancelled(f.ctx))
		assert.ErrorIs(t, err, context.Canceled, "rule: Queues with a cancelled context returns the context's error")
		require.NoError(t, f.d.Close())
		_, err = l.Queues(f.ctx)
		assert.ErrorIs(t, err, driver.ErrClosed, "rule: Queues on a closed driver returns ErrClosed")
	}},
}

// queueLister returns the driver as a QueueLister, or skips (when
// exempted) or fails the test.
func (f *fixture) queueLister() driver.QueueLister {
	f.t.Helper()
	l, ok := f.d.(driver.QueueLister)
	if !ok {
		f.s.missing(f.t, CapQueues, "the driver does not implement driver.QueueLister")
	}
	return l
}

// queues calls Queues, failing on any error.
func (f *fixture) queues(l driver.QueueLister) []string {
	f.t.Helper()
	got, err := l.Queues(f.ctx)
	require.NoError(f.t, err, "Queues")
	return got
}
