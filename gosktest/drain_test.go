package gosktest_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivers/memory"
	"github.com/gosk/gosk/gosktest"
	"github.com/gosk/gosk/worker"
)

func TestDrainRunsEverythingAvailable(t *testing.T) {
	for name, d := range drivers(t) {
		t.Run(name, func(t *testing.T) {
			q := newQueue(t, d, "emails")
			const n = 25
			items := make([]gosk.Item[email], n)
			for i := range items {
				items[i] = gosk.Item[email]{Payload: email{To: fmt.Sprintf("%d@example.com", i)}}
			}
			_, err := q.CreateMany(t.Context(), items)
			require.NoError(t, err)

			var mu sync.Mutex
			seen := map[string]int{}
			got := gosktest.Drain(t, q, func(_ context.Context, task *gosk.Task[email]) error {
				mu.Lock()
				defer mu.Unlock()
				seen[task.Payload.To]++
				return nil
			}, &worker.Config{Concurrency: 4})
			require.Equal(t, gosktest.Drained{Completed: n}, got)
			require.Len(t, seen, n)
			for to, runs := range seen {
				require.Equal(t, 1, runs, "%s ran once", to)
			}
			counts, err := q.Count(t.Context())
			require.NoError(t, err)
			require.Equal(t, int64(n), counts[gosk.StateCompleted])

			require.Equal(t, gosktest.Drained{}, gosktest.Drain(t, q, returns(nil), nil), "a drained queue has nothing left")
		})
	}
}

func TestDrainCountsEachOutcome(t *testing.T) {
	q := newQueue(t, newMemory(t), "emails")
	for _, to := range []string{"ok", "cancel", "snooze", "retry"} {
		_, err := q.Create(t.Context(), email{To: to}, nil)
		require.NoError(t, err)
	}
	var events []worker.EventKind
	got := gosktest.Drain(t, q, func(_ context.Context, task *gosk.Task[email]) error {
		switch task.Payload.To {
		case "cancel":
			return gosk.ErrCancelTask
		case "snooze":
			return gosk.Snooze(time.Hour)
		case "retry":
			return errors.New("boom")
		}
		return nil
	}, &worker.Config{
		Backoff: func(int) time.Duration { return time.Hour },
		OnEvent: func(ev worker.Event) { events = append(events, ev.Kind) }, // called from one goroutine
	})
	require.Equal(t, gosktest.Drained{Completed: 1, Cancelled: 1, Snoozed: 1, Retried: 1}, got,
		"the snoozed and retried tasks wait an hour, so Drain leaves them")
	require.Len(t, events, 4, "the config's own OnEvent is still told")
	counts, err := q.Count(t.Context())
	require.NoError(t, err)
	require.Equal(t, int64(2), counts[gosk.StatePending])
}

func TestDrainRunsRetriesWithZeroBackoff(t *testing.T) {
	q, err := gosk.NewQueue[email](newMemory(t), "emails", &gosk.QueueOptions{MaxAttempts: 3})
	require.NoError(t, err)
	_, err = q.Create(t.Context(), email{}, nil)
	require.NoError(t, err)
	got := gosktest.Drain(t, q, returns(errors.New("boom")), &worker.Config{Backoff: func(int) time.Duration { return 0 }})
	require.Equal(t, gosktest.Drained{Retried: 2, Failed: 1}, got)
}

// refusing is a memory driver whose Finish refuses every outcome, so
// that none can be stored.
type refusing struct{ *memory.Driver }

func (r refusing) Finish(context.Context, []driver.Outcome) ([]error, error) {
	return nil, fmt.Errorf("%w: refused by the test", driver.ErrInvalid)
}

// losing is a memory driver whose Finish finds every lease lost.
type losing struct{ *memory.Driver }

func (l losing) Finish(_ context.Context, outcomes []driver.Outcome) ([]error, error) {
	errs := make([]error, len(outcomes))
	for i := range errs {
		errs[i] = driver.ErrLeaseLost
	}
	return errs, nil
}

// TestDrainCountsLostLeases: a lost lease is counted, not a failure; the
// task belongs to someone else now.
func TestDrainCountsLostLeases(t *testing.T) {
	q := newQueue(t, losing{newMemory(t)}, "emails")
	_, err := q.Create(t.Context(), email{}, nil)
	require.NoError(t, err)
	got := gosktest.Drain(t, q, returns(nil), nil)
	require.Equal(t, gosktest.Drained{LeaseLost: 1}, got)
}

func TestDrainFails(t *testing.T) {
	t.Run("outcome not stored", func(t *testing.T) {
		q := newQueue(t, refusing{newMemory(t)}, "emails")
		id, err := q.Create(t.Context(), email{}, nil)
		require.NoError(t, err)
		returned := false
		r := check(t, func(tb testing.TB) {
			gosktest.Drain(tb, q, returns(nil), &worker.Config{Lease: time.Second})
			returned = true
		})
		require.False(t, returned, "Drain went on after failing")
		msg := r.message()
		require.Contains(t, msg, `gosktest: Drain of queue "emails": 1 outcome(s) not stored:`)
		require.Contains(t, msg, fmt.Sprintf("task %d (attempt 1): not stored: ", id))
		require.Contains(t, msg, "refused by the test")
	})
	t.Run("invalid config", func(t *testing.T) {
		q := newQueue(t, newMemory(t), "emails")
		r := check(t, func(tb testing.TB) { gosktest.Drain(tb, q, returns(nil), &worker.Config{Concurrency: -1}) })
		require.True(t, r.Failed())
		require.Contains(t, r.message(), "gosktest: Drain: ")
		require.Contains(t, r.message(), "Config.Concurrency -1 is negative")
	})
	t.Run("endless", func(t *testing.T) {
		q := newQueue(t, newMemory(t), "emails")
		_, err := q.Create(t.Context(), email{}, nil)
		require.NoError(t, err)
		start := time.Now()
		r := check(t, func(tb testing.TB) { gosktest.Drain(tb, q, returns(gosk.Snooze(0)), nil) })
		t.Logf("%d rounds took %v", gosktest.MaxDrainRounds, time.Since(start))
		require.True(t, r.Failed())
		require.Equal(t, fmt.Sprintf(`gosktest: Drain of queue "emails": tasks still available after %d rounds of Work; does a handler snooze for no time, or the queue keep filling?`, gosktest.MaxDrainRounds), r.message())
	})
}
