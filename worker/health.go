package worker

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"
)

// health is what a worker has seen of its store: how many of its calls
// (claims, pings, finishes) succeeded, and when the latest did. The
// finisher reads it to tell a store that is down from one that refuses an
// outcome, and Work's watch to give up on a store that is dead. Its
// methods are safe for concurrent use.
type health struct {
	answered atomic.Uint64
	last     atomic.Int64 // Unix nanoseconds
}

// newHealth returns a health that counts its creation as the latest
// answer, so that a store is given a whole lease to answer its first
// call.
func newHealth() *health {
	h := &health{}
	h.last.Store(time.Now().UnixNano())
	return h
}

// answer records a store call that succeeded.
func (h *health) answer() {
	h.answered.Add(1)
	h.last.Store(time.Now().UnixNano())
}

// answers is how many store calls have succeeded.
func (h *health) answers() uint64 { return h.answered.Load() }

// silence is how long ago the latest store call succeeded.
func (h *health) silence() time.Duration { return time.Since(time.Unix(0, h.last.Load())) }

// watchStore bounds Work's wait for a store that is down: once no store
// call has succeeded for a whole Config.Lease while outcomes wait to be
// stored, it gives up storing (giveUp), so that the waiting outcomes and
// any still to come are given up at once and Work returns. By then no
// ping has extended the leases of the tasks the worker holds for a lease,
// so those leases have run out and any worker may claim the tasks again.
// It returns when ctx is done.
func (e *engine[T]) watchStore(ctx context.Context, giveUp context.CancelFunc) {
	t := time.NewTimer(e.cfg.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		since := e.health.silence()
		if since >= e.cfg.Lease && e.runs.waiting() > 0 {
			e.log.Error("gosk: the store has answered no call for a lease; giving up the outcomes not stored",
				slog.Duration("since", since), slog.Int("tasks", e.runs.waiting()))
			giveUp()
			return
		}
		t.Reset(min(e.cfg.PingInterval, max(e.cfg.Lease-since, time.Millisecond)))
	}
}

// storeBackoff is the wait before retrying a failed store call.
func storeBackoff(failures int) time.Duration {
	d := 5 * time.Second
	if failures < 10 {
		d = min(10*time.Millisecond<<failures, d)
	}
	return jitter(d)
}

// sleep waits for d or until ctx is done, and reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
