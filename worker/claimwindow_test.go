package worker_test

// Claim window: how long the claim loop waits for more slots to come free.

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/worker"
)

func TestClaimWindowSettings(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	for name, c := range map[string]struct {
		cfg  worker.Config
		want string
	}{
		"negative":              {worker.Config{ClaimWindow: -time.Millisecond}, "Config.ClaimWindow -1ms is negative"},
		"equal to the pings":    {worker.Config{Lease: time.Second, PingInterval: 100 * time.Millisecond, ClaimWindow: 100 * time.Millisecond}, "not shorter than Config.PingInterval"},
		"longer than the pings": {worker.Config{Lease: time.Second, ClaimWindow: time.Second / 2}, "Config.ClaimWindow"},
	} {
		_, err := worker.New(f.q, ok, &c.cfg)
		require.ErrorIs(t, err, gosk.ErrInvalid, name)
		assert.ErrorContains(t, err, c.want, name)
	}
	w, err := worker.New(f.q, ok, nil)
	require.NoError(t, err)
	assert.Equal(t, worker.DefaultClaimWindow, w.Config().ClaimWindow)
	w, err = worker.New(f.q, ok, &worker.Config{Lease: worker.MinLease, PingInterval: time.Millisecond})
	require.NoError(t, err)
	assert.Equal(t, time.Millisecond/2, w.Config().ClaimWindow, "half the ping interval when that is shorter")
	w, err = worker.New(f.q, ok, &worker.Config{ClaimWindow: worker.NoClaimWindow})
	require.NoError(t, err)
	assert.Equal(t, worker.NoClaimWindow, w.Config().ClaimWindow)
}

// claimAfterReleases runs a worker of 3 handlers on 6 tasks, each handler
// blocked until it is released, releases the first 3 one at a time (each
// stored before the next is released), and returns the limits of the
// worker's claims once it has made a second claim.
func claimAfterReleases(t *testing.T, window time.Duration) []int {
	t.Helper()
	f := newFixture(t, false)
	f.create(6, nil)
	release := make(chan struct{})
	w, err := worker.New(f.q, func(ctx context.Context, _ *gosk.Task[job]) error {
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil
	}, &worker.Config{Concurrency: 3, Lease: time.Hour, ClaimWindow: window})
	require.NoError(t, err)
	stop := start(t, w)
	require.Eventually(t, func() bool { return f.spy.claims() == 1 }, wait, tick)
	for k := 1; k <= 3; k++ {
		release <- struct{}{}
		require.Eventually(t, func() bool { return f.count(gosk.StateCompleted) == int64(k) }, wait, tick)
	}
	require.Eventually(t, func() bool { return f.spy.claims() >= 2 }, wait, tick)
	f.spy.mu.Lock()
	limits := append([]int(nil), f.spy.claimLimits...)
	f.spy.mu.Unlock()
	close(release)
	require.Eventually(t, func() bool { return f.count(gosk.StateCompleted) == 6 }, wait, tick)
	require.NoError(t, stop())
	return limits
}

func TestClaimWindowWaitsForTheOtherSlots(t *testing.T) {
	t.Parallel()
	// A window far longer than the test: only every slot coming free
	// ends it.
	limits := claimAfterReleases(t, 10*time.Minute)
	assert.Equal(t, []int{3, 3}, limits[:2], "the slots that came free one by one were claimed in one call")
}

func TestNoClaimWindowClaimsTheFirstFreeSlot(t *testing.T) {
	t.Parallel()
	limits := claimAfterReleases(t, worker.NoClaimWindow)
	assert.Equal(t, []int{3, 1}, limits[:2], "the first slot to come free was claimed alone")
}
