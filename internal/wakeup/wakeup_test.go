package wakeup

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/gosk/gosk/driver"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// woken reports whether a signal is waiting on sub's Wake, taking it.
func woken(sub *driver.Subscription) bool {
	select {
	case <-sub.Wake:
		return true
	default:
		return false
	}
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// waitDone fails the test if done is not closed within a generous bound.
func waitDone(t *testing.T, done <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: Done was not closed", what)
	}
}

func TestWakeSignalsTheQueuesSubscribersOnly(t *testing.T) {
	var h Hub
	defer h.Close()
	a1, err := h.Subscribe(t.Context(), "a")
	require.NoError(t, err)
	a2, err := h.Subscribe(t.Context(), "a")
	require.NoError(t, err)
	b, err := h.Subscribe(t.Context(), "b")
	require.NoError(t, err)

	h.Wake(Queues{"a": {}})
	assert.True(t, woken(a1), "a subscriber of the woken queue is signalled")
	assert.True(t, woken(a2), "every subscriber of the woken queue is signalled")
	assert.False(t, woken(b), "a subscriber of another queue is not")

	h.Wake(nil)
	h.Wake(Queues{"c": {}})
	assert.False(t, woken(a1) || woken(a2) || woken(b), "waking no queue, or a queue nobody listens to, signals nobody")
}

func TestWakeMergesSignalsNotYetReceived(t *testing.T) {
	var h Hub
	defer h.Close()
	sub, err := h.Subscribe(t.Context(), "q")
	require.NoError(t, err)
	q := Queues{}
	q.Add("q")
	for range 5 {
		h.Wake(q) // never blocks, though nobody reads
	}
	assert.True(t, woken(sub))
	assert.False(t, woken(sub), "five wake-ups not yet received are one signal")
}

func TestWakeAllSignalsEveryQueue(t *testing.T) {
	var h Hub
	defer h.Close()
	a, err := h.Subscribe(t.Context(), "a")
	require.NoError(t, err)
	b, err := h.Subscribe(t.Context(), "b")
	require.NoError(t, err)
	h.WakeAll()
	assert.True(t, woken(a))
	assert.True(t, woken(b))
}

func TestStopEndsTheSubscription(t *testing.T) {
	var h Hub
	defer h.Close()
	sub, err := h.Subscribe(t.Context(), "q")
	require.NoError(t, err)
	other, err := h.Subscribe(t.Context(), "q")
	require.NoError(t, err)
	sub.Stop()
	assert.True(t, isClosed(sub.Done), "Done is closed by the time Stop returns")
	assert.NotPanics(t, sub.Stop, "Stop is safe to call twice")
	h.Wake(Queues{"q": {}})
	assert.False(t, woken(sub), "a stopped subscription is not signalled")
	assert.True(t, woken(other), "stopping one subscription leaves the others")
	assert.False(t, isClosed(other.Done))
}

func TestSubscriptionEndsWithItsContext(t *testing.T) {
	var h Hub
	defer h.Close()
	ctx, cancel := context.WithCancel(t.Context())
	sub, err := h.Subscribe(ctx, "q")
	require.NoError(t, err)
	cancel()
	waitDone(t, sub.Done, "a subscription whose context ended")
	h.Wake(Queues{"q": {}})
	assert.False(t, woken(sub), "a subscription whose context ended is not signalled")
	sub.Stop() // still safe
}

func TestSubscriptionWithADoneContextEnds(t *testing.T) {
	var h Hub
	defer h.Close()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	sub, err := h.Subscribe(ctx, "q")
	require.NoError(t, err)
	waitDone(t, sub.Done, "a subscription made with a context already done")
}

func TestCloseEndsEverySubscription(t *testing.T) {
	var h Hub
	a, err := h.Subscribe(t.Context(), "a")
	require.NoError(t, err)
	b, err := h.Subscribe(t.Context(), "b")
	require.NoError(t, err)
	h.Close()
	assert.True(t, isClosed(a.Done), "Done is closed by the time Close returns")
	assert.True(t, isClosed(b.Done), "Done is closed by the time Close returns")
	h.WakeAll()
	assert.False(t, woken(a) || woken(b), "after Close nobody is signalled")
	a.Stop()
	assert.NotPanics(t, h.Close, "Close is safe to call twice")

	_, err = h.Subscribe(t.Context(), "a")
	assert.ErrorIs(t, err, driver.ErrClosed, "Subscribe after Close")
}

// watchProbe is a Watch that counts its runs.
type watchProbe struct {
	started, stopped atomic.Int32
	running          atomic.Bool
}

func (w *watchProbe) watch(context.Context) func() {
	w.started.Add(1)
	w.running.Store(true)
	return func() {
		w.running.Store(false)
		w.stopped.Add(1)
	}
}

func TestWatchRunsWhileThereAreSubscribers(t *testing.T) {
	var w watchProbe
	h := Hub{Watch: w.watch}
	defer h.Close()
	assert.False(t, w.running.Load(), "no watch without subscribers")

	a, err := h.Subscribe(t.Context(), "a")
	require.NoError(t, err)
	b, err := h.Subscribe(t.Context(), "b")
	require.NoError(t, err)
	assert.EqualValues(t, 1, w.started.Load(), "the first subscriber starts the watch, the second does not")
	a.Stop()
	assert.True(t, w.running.Load(), "the watch runs while a subscriber is left")
	b.Stop()
	assert.False(t, w.running.Load(), "the last Stop stops the watch before it returns")
	assert.EqualValues(t, 1, w.stopped.Load())

	c, err := h.Subscribe(t.Context(), "c")
	require.NoError(t, err)
	assert.EqualValues(t, 2, w.started.Load(), "a new first subscriber starts it again")
	ctx, cancel := context.WithCancel(t.Context())
	d, err := h.Subscribe(ctx, "d")
	require.NoError(t, err)
	cancel()
	waitDone(t, d.Done, "a subscription whose context ended")
	assert.True(t, w.running.Load(), "a context that ends does not stop the watch while others listen")
	h.Close()
	assert.False(t, w.running.Load(), "Close stops the watch before it returns")
	assert.True(t, isClosed(c.Done))
	assert.EqualValues(t, 2, w.stopped.Load(), "each watch is stopped once")
}

func TestWatchMayWakeEveryone(t *testing.T) {
	var h Hub
	stop := make(chan struct{})
	var wg sync.WaitGroup
	h.Watch = func(context.Context) func() {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
					h.WakeAll() // takes the Hub's lock, as SQLite's watch does
				}
			}
		})
		return func() { close(stop); wg.Wait() }
	}
	sub, err := h.Subscribe(t.Context(), "q")
	require.NoError(t, err)
	<-sub.Wake
	sub.Stop() // would deadlock if the stop ran under the Hub's lock
	assert.True(t, isClosed(sub.Done))
	h.Close()
}

func TestConcurrentUse(t *testing.T) {
	var h Hub
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(t.Context())
	for i := range 8 {
		wg.Go(func() {
			for j := range 50 {
				sub, err := h.Subscribe(ctx, "q")
				if err != nil {
					assert.ErrorIs(t, err, driver.ErrClosed)
					return
				}
				h.Wake(Queues{"q": {}})
				if (i+j)%2 == 0 {
					sub.Stop()
				}
			}
		})
	}
	wg.Go(func() {
		for range 100 {
			h.WakeAll()
		}
	})
	cancel()
	wg.Wait()
	h.Close()
}
