package drivertest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
)

// subscriptionRules pin how a subscription ends: with its context, with
// Stop and with Close, each observed through Subscription.Done. They
// belong to the Notify group.
var subscriptionRules = []rule{
	{name: "SubscriptionEndsWithItsContext", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		n := f.notifier()
		ctx, cancel := context.WithCancel(f.ctx)
		defer cancel()
		sub := f.subscribeFor(ctx, n, f.queue())
		f.requireOpen(sub, "a live subscription's Done stays open until Stop, its context's end or Close")
		cancel()
		f.awaitDone(sub, "rule: a subscription ends when its context does, without Stop or Close: the driver must release it (its goroutine, connection or place among the subscribers) and then close Done")
		require.NotPanics(t, sub.Stop, "Stop after the subscription ended with its context")
	}},
	{name: "StopEndsSubscriptionBeforeReturning", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		n := f.notifier()
		sub := f.subscribeFor(f.ctx, n, f.queue())
		sub.Stop()
		f.requireDone(sub, "rule: a subscription has ended and released what it held by the time Stop returns: Done must be closed then")
	}},
	{name: "CloseEndsEverySubscription", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		n := f.notifier()
		q := f.queue()
		subs := []*driver.Subscription{f.subscribeFor(f.ctx, n, q), f.subscribeFor(f.ctx, n, q), f.subscribeFor(f.ctx, n, f.queue())}
		require.NoError(t, f.d.Close(), "Close")
		for _, sub := range subs {
			f.requireDone(sub, "rule: Close ends every subscription of the driver: Done must be closed by the time Close returns")
		}
	}},
}

// subscribeFor subscribes to q with ctx, checks the subscription's fields
// and stops it when the test ends.
func (f *fixture) subscribeFor(ctx context.Context, n driver.Notifier, q string) *driver.Subscription {
	f.t.Helper()
	sub, err := n.Subscribe(ctx, q)
	require.NoError(f.t, err, "Subscribe")
	require.NotNil(f.t, sub, "Subscribe returned no subscription")
	require.NotNil(f.t, sub.Wake, "a subscription has a Wake channel")
	require.NotNil(f.t, sub.Stop, "a subscription has a Stop function")
	require.NotNil(f.t, sub.Done, "a subscription has a Done channel, closed once it has ended")
	f.t.Cleanup(sub.Stop)
	return sub
}

// requireOpen fails if sub's Done is closed.
func (f *fixture) requireOpen(sub *driver.Subscription, what string) {
	f.t.Helper()
	select {
	case <-sub.Done:
		f.t.Fatalf("Done is closed: %s", what)
	default:
	}
}

// requireDone fails unless sub's Done is closed now.
func (f *fixture) requireDone(sub *driver.Subscription, what string) {
	f.t.Helper()
	select {
	case <-sub.Done:
	default:
		f.t.Fatalf("Done is still open: %s", what)
	}
}

// awaitDone waits for sub's Done to close, failing after waitLimit.
func (f *fixture) awaitDone(sub *driver.Subscription, what string) {
	f.t.Helper()
	timer := time.NewTimer(waitLimit)
	defer timer.Stop()
	select {
	case <-sub.Done:
	case <-timer.C:
		f.t.Fatalf("Done still open %v after the context ended: %s", waitLimit, what)
	}
}
