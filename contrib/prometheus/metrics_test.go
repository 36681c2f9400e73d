package goskprom

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivers/memory"
	gosksqlite "github.com/gosk/gosk/drivers/sqlite"
	"github.com/gosk/gosk/worker"
)

// stores are the real stores the tests run on.
var stores = []struct {
	name string
	open func(t *testing.T) driver.Driver
}{
	{"memory", func(t *testing.T) driver.Driver {
		d := memory.New(nil)
		t.Cleanup(func() { require.NoError(t, d.Close()) })
		return d
	}},
	{"sqlite", func(t *testing.T) driver.Driver {
		d, err := gosksqlite.Open(t.Context(), filepath.Join(t.TempDir(), "gosk.db"), nil)
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, d.Close()) })
		return d
	}},
}

// histCount returns how many observations the histogram name holds for
// the given label values.
func histCount(t *testing.T, g prometheus.Gatherer, name string, labels map[string]string) uint64 {
	t.Helper()
	fams, err := g.Gather()
	require.NoError(t, err)
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
	metric:
		for _, m := range f.GetMetric() {
			for _, lp := range m.GetLabel() {
				if v, ok := labels[lp.GetName()]; ok && v != lp.GetValue() {
					continue metric
				}
			}
			return m.GetHistogram().GetSampleCount()
		}
	}
	return 0
}

// TestWorkerRun runs a worker over tasks that complete, cancel, retry
// and fail, on each store, and checks every counter, the histogram, the
// running gauge and the depth collector.
func TestWorkerRun(t *testing.T) {
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			ctx := t.Context()
			reg := prometheus.NewRegistry()
			m, err := New(reg, nil)
			require.NoError(t, err)
			drv := m.Driver(st.open(t))
			q, err := gosk.NewQueue[string](drv, "jobs", &gosk.QueueOptions{MaxAttempts: 2})
			require.NoError(t, err)

			for _, p := range []string{"ok", "ok", "ok", "cancel", "fail"} {
				_, err := q.Create(ctx, p, nil)
				require.NoError(t, err)
			}
			_, err = q.Create(ctx, "ok", &gosk.CreateOptions{UniqueKey: "k"})
			require.NoError(t, err)
			_, err = q.Create(ctx, "ok", &gosk.CreateOptions{UniqueKey: "k"})
			require.ErrorIs(t, err, gosk.ErrDuplicate)
			require.InDelta(t, 6, testutil.ToFloat64(m.created.WithLabelValues("jobs")), 0)
			require.InDelta(t, 1, testutil.ToFloat64(m.duplicates.WithLabelValues("jobs")), 0)

			var mu sync.Mutex
			var running []float64 // the gauge as each handler saw it
			w, err := worker.New(q, func(ctx context.Context, task *gosk.Task[string]) error {
				mu.Lock()
				running = append(running, testutil.ToFloat64(m.running.WithLabelValues("jobs")))
				mu.Unlock()
				switch task.Payload {
				case "cancel":
					return gosk.ErrCancelTask
				case "fail":
					return errors.New("boom")
				}
				return nil
			}, &worker.Config{
				Concurrency: 1, // so that the running gauge is exactly 1
				Backoff:     func(int) time.Duration { return 0 },
				OnEvent:     m.OnEvent,
				Middleware:  []worker.Middleware{m.Middleware()},
				Retention:   worker.NoRetention,
			})
			require.NoError(t, err)
			for {
				err := w.Work(ctx)
				if errors.Is(err, worker.ErrNoTask) {
					break
				}
				require.NoError(t, err)
			}

			require.InDelta(t, 7, testutil.ToFloat64(m.claimed.WithLabelValues("jobs")), 0, "six tasks, one of them twice")
			for outcome, want := range map[string]float64{"completed": 4, "cancelled": 1, "retried": 1, "failed": 1, "lease_lost": 0} {
				require.InDelta(t, want, testutil.ToFloat64(m.runs.WithLabelValues("jobs", outcome)), 0, outcome)
				require.Equal(t, uint64(want), histCount(t, reg, "gosk_handler_duration_seconds", map[string]string{"queue": "jobs", "outcome": outcome}), outcome)
			}
			require.Len(t, running, 7)
			for _, v := range running {
				require.InDelta(t, 1, v, 0)
			}
			require.InDelta(t, 0, testutil.ToFloat64(m.running.WithLabelValues("jobs")), 0)

			depth, err := NewDepthCollector(drv, []string{"jobs", "empty"}, nil)
			require.NoError(t, err)
			require.NoError(t, reg.Register(depth))
			require.NoError(t, q.Pause(ctx))
			require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP gosk_queue_depth_up 1 if the queue's tasks could be counted at this scrape, else 0.
# TYPE gosk_queue_depth_up gauge
gosk_queue_depth_up{queue="empty"} 1
gosk_queue_depth_up{queue="jobs"} 1
# HELP gosk_queue_paused 1 if the queue is paused, else 0.
# TYPE gosk_queue_paused gauge
gosk_queue_paused{queue="empty"} 0
gosk_queue_paused{queue="jobs"} 1
# HELP gosk_queue_tasks Tasks in the store, by queue and state, counted at scrape time.
# TYPE gosk_queue_tasks gauge
gosk_queue_tasks{queue="empty",state="cancelled"} 0
gosk_queue_tasks{queue="empty",state="completed"} 0
gosk_queue_tasks{queue="empty",state="failed"} 0
gosk_queue_tasks{queue="empty",state="pending"} 0
gosk_queue_tasks{queue="empty",state="running"} 0
gosk_queue_tasks{queue="jobs",state="cancelled"} 1
gosk_queue_tasks{queue="jobs",state="completed"} 4
gosk_queue_tasks{queue="jobs",state="failed"} 1
gosk_queue_tasks{queue="jobs",state="pending"} 0
gosk_queue_tasks{queue="jobs",state="running"} 0
`), "gosk_queue_tasks", "gosk_queue_depth_up", "gosk_queue_paused"))
		})
	}
}

// TestGroupLeaseLost runs a Group whose GroupConfig.OnEvent is the
// Metrics' and cancels a running task from outside: the worker loses its
// lease, and the run counts as lease_lost.
func TestGroupLeaseLost(t *testing.T) {
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			ctx, stop := context.WithCancel(t.Context())
			defer stop()
			reg := prometheus.NewRegistry()
			m, err := New(reg, nil)
			require.NoError(t, err)
			drv := m.Driver(st.open(t))
			q, err := gosk.NewQueue[string](drv, "slow", nil)
			require.NoError(t, err)
			id, err := q.Create(ctx, "x", nil)
			require.NoError(t, err)

			started := make(chan struct{})
			w, err := worker.New(q, func(ctx context.Context, _ *gosk.Task[string]) error {
				close(started)
				<-ctx.Done()
				return context.Cause(ctx)
			}, &worker.Config{Lease: worker.MinLease, PollInterval: time.Hour, Retention: worker.NoRetention})
			require.NoError(t, err)
			ended := make(chan worker.Event, 1)
			g, err := worker.NewGroup(&worker.GroupConfig{OnEvent: func(ev worker.Event) {
				m.OnEvent(ev)
				ended <- ev
			}})
			require.NoError(t, err)
			require.NoError(t, g.Add(w, nil))
			done := make(chan error, 1)
			go func() { done <- g.Run(ctx) }()

			<-started
			require.NoError(t, q.Cancel(ctx, id))
			ev := <-ended
			require.Equal(t, worker.EventLeaseLost, ev.Kind)
			stop()
			require.NoError(t, <-done)

			require.InDelta(t, 1, testutil.ToFloat64(m.runs.WithLabelValues("slow", "lease_lost")), 0)
			require.Equal(t, uint64(1), histCount(t, reg, "gosk_handler_duration_seconds", map[string]string{"outcome": "lease_lost"}))
			require.InDelta(t, 1, testutil.ToFloat64(m.claimed.WithLabelValues("slow")), 0)
		})
	}
}
