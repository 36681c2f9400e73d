package worker_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/drivers/memory"
	"github.com/gosk/gosk/worker"
)

// FuzzConfig gives worker.New arbitrary settings: it never panics; a
// refusal wraps ErrInvalid (ErrUnsupportedPriorityRule for Rule) and
// names the field; an accepted Config keeps every setting given and fills
// the others so that the worker's timing holds together (positive
// intervals, pings inside the lease, the finish window inside the ping
// interval).
func FuzzConfig(f *testing.F) {
	f.Add(0, 0, int64(0), int64(0), int64(0), int64(0), 0, int64(0), int64(0), int64(0), int64(0), 0)
	f.Add(16, int(gosk.Priority), int64(time.Minute), int64(time.Second), int64(time.Second), int64(time.Millisecond), 10, int64(time.Hour), int64(time.Second), int64(time.Hour), int64(time.Minute), 100)
	f.Add(-1, 9, int64(-1), int64(-1), int64(-1), int64(-1), -1, int64(-1), int64(-1), int64(worker.NoRetention), int64(-1), -1)
	f.Add(1, 0, int64(1), int64(0), int64(0), int64(0), 0, int64(0), int64(0), int64(-2), int64(0), 0)
	f.Add(1, 0, int64(3), int64(0), int64(0), int64(0), 0, int64(0), int64(0), int64(0), int64(0), 0)
	f.Add(1, 0, int64(10*time.Microsecond), int64(0), int64(0), int64(0), 0, int64(0), int64(0), int64(0), int64(0), 0)
	f.Add(1, 0, int64(time.Second), int64(time.Second), int64(0), int64(0), 0, int64(0), int64(0), int64(0), int64(0), 0)
	d := memory.New(nil)
	f.Cleanup(func() { _ = d.Close() })
	q, err := gosk.NewQueue[int](d, "config", nil)
	if err != nil {
		f.Fatal(err)
	}
	h := func(context.Context, *gosk.Task[int]) error { return nil }
	f.Fuzz(func(t *testing.T, concurrency, rule int, lease, ping, poll, window int64, batch int,
		handlerTimeout, shutdown, retention, retentionInterval int64, retentionBatch int) {
		cfg := &worker.Config{
			Concurrency: concurrency, Rule: gosk.PriorityRule(rule), Lease: time.Duration(lease),
			PingInterval: time.Duration(ping), PollInterval: time.Duration(poll), FinishWindow: time.Duration(window),
			FinishBatch: batch, HandlerTimeout: time.Duration(handlerTimeout), ShutdownTimeout: time.Duration(shutdown),
			Retention: time.Duration(retention), RetentionInterval: time.Duration(retentionInterval), RetentionBatch: retentionBatch,
		}
		w, err := worker.New(q, h, cfg)
		if err != nil {
			if !errors.Is(err, gosk.ErrInvalid) && !errors.Is(err, gosk.ErrUnsupportedPriorityRule) {
				t.Fatalf("New(%+v) = %v; want ErrInvalid or ErrUnsupportedPriorityRule", cfg, err)
			}
			if !strings.Contains(err.Error(), "Config.") {
				t.Fatalf("New's error does not name the field: %v", err)
			}
			return
		}
		c := w.Config()
		keep := func(name string, given, got int64) {
			if given != 0 && given != got {
				t.Fatalf("Config.%s given %d came back %d", name, given, got)
			}
		}
		keep("Concurrency", int64(concurrency), int64(c.Concurrency))
		keep("Rule", int64(rule), int64(c.Rule))
		keep("Lease", lease, int64(c.Lease))
		keep("PingInterval", ping, int64(c.PingInterval))
		keep("PollInterval", poll, int64(c.PollInterval))
		keep("FinishWindow", window, int64(c.FinishWindow))
		keep("FinishBatch", int64(batch), int64(c.FinishBatch))
		keep("HandlerTimeout", handlerTimeout, int64(c.HandlerTimeout))
		keep("ShutdownTimeout", shutdown, int64(c.ShutdownTimeout))
		keep("Retention", retention, int64(c.Retention))
		keep("RetentionInterval", retentionInterval, int64(c.RetentionInterval))
		keep("RetentionBatch", int64(retentionBatch), int64(c.RetentionBatch))
		switch {
		case c.Concurrency <= 0, c.FinishBatch <= 0, c.RetentionBatch <= 0:
			t.Fatalf("an accepted Config has a count that is not positive: %+v", c)
		case c.Lease <= 0, c.PingInterval <= 0, c.PollInterval <= 0, c.ShutdownTimeout <= 0, c.RetentionInterval <= 0:
			t.Fatalf("an accepted Config has an interval that is not positive: %+v", c)
		case c.PingInterval >= c.Lease:
			t.Fatalf("an accepted Config pings no sooner than its lease ends: %+v", c)
		case c.FinishWindow < 0 || c.FinishWindow >= c.PingInterval:
			t.Fatalf("an accepted Config's finish window is not inside its ping interval: %+v", c)
		case c.HandlerTimeout < 0, c.Retention < 0 && c.Retention != worker.NoRetention:
			t.Fatalf("an accepted Config has a negative setting: %+v", c)
		case !c.Rule.Valid(), c.Backoff == nil, c.Logger == nil:
			t.Fatalf("an accepted Config lacks a default: %+v", c)
		}
	})
}
