package goskotel

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

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

// recorder returns a Tracing that records its spans, with W3C trace
// context propagation, and the tracer provider (to start spans of the
// test's own).
func recorder(t *testing.T, child bool) (*Tracing, *tracetest.SpanRecorder, trace.Tracer) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { require.NoError(t, tp.Shutdown(context.Background())) })
	return New(&Config{TracerProvider: tp, Propagator: propagation.TraceContext{}, Child: child}), rec, tp.Tracer("test")
}

// drain runs w's Work until no task is left.
func drain[T any](t *testing.T, w *worker.Worker[T]) {
	t.Helper()
	for {
		err := w.Work(t.Context())
		if errors.Is(err, worker.ErrNoTask) {
			return
		}
		require.NoError(t, err)
	}
}

// attrs returns a span's attributes by key.
func attrs(s sdktrace.ReadOnlySpan) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Attributes() {
		m[kv.Key] = kv.Value
	}
	return m
}

// runSpans returns the ended spans named "process "+queue, by task ID
// and attempt ("id/attempt"), in the order they ended.
func runSpans(rec *tracetest.SpanRecorder, queue string) map[string][]sdktrace.ReadOnlySpan {
	m := map[string][]sdktrace.ReadOnlySpan{}
	for _, s := range rec.Ended() {
		if s.Name() == "process "+queue {
			a := attrs(s)
			k := fmt.Sprintf("%d/%d", a[AttrTaskID].AsInt64(), a[AttrTaskAttempt].AsInt64())
			m[k] = append(m[k], s)
		}
	}
	return m
}

// TestMiddleware: one span per handler run, with the queue, task ID,
// attempt and outcome, status Error on failure, and the handler's own
// spans as its children.
func TestMiddleware(t *testing.T) {
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			tr, rec, _ := recorder(t, false)
			q, err := gosk.NewQueue[string](st.open(t), "jobs", &gosk.QueueOptions{MaxAttempts: 2})
			require.NoError(t, err)
			ids := map[string]int64{}
			for _, p := range []string{"ok", "cancel", "fail", "snooze"} {
				ids[p], err = q.Create(t.Context(), p, nil)
				require.NoError(t, err)
			}
			snoozed := false
			w, err := worker.New(q, func(ctx context.Context, task *gosk.Task[string]) error {
				_, span := trace.SpanFromContext(ctx).TracerProvider().Tracer("handler").Start(ctx, "inner")
				span.End()
				switch task.Payload {
				case "cancel":
					return fmt.Errorf("no: %w", gosk.ErrCancelTask)
				case "fail":
					return errors.New("boom")
				case "snooze":
					if !snoozed {
						snoozed = true
						return gosk.Snooze(0)
					}
				}
				return nil
			}, &worker.Config{
				Concurrency: 1,
				Backoff:     func(int) time.Duration { return 0 },
				Middleware:  []worker.Middleware{tr.Middleware()},
				Retention:   worker.NoRetention,
			})
			require.NoError(t, err)
			drain(t, w)

			runs := runSpans(rec, "jobs")
			require.Len(t, runs, 5, "ok, cancel, fail twice, snooze twice with the same attempt (a snooze gives it back)")
			check := func(key string, i int, outcome string, failed bool) {
				t.Helper()
				require.Greater(t, len(runs[key]), i, key)
				s := runs[key][i]
				a := attrs(s)
				require.Equal(t, trace.SpanKindConsumer, s.SpanKind())
				require.Equal(t, "gosk", a["messaging.system"].AsString())
				require.Equal(t, "jobs", a["messaging.destination.name"].AsString())
				require.Equal(t, outcome, a[AttrTaskOutcome].AsString(), key)
				require.EqualValues(t, 2, a[AttrTaskMaxAttempts].AsInt64())
				if failed {
					require.Equal(t, codes.Error, s.Status().Code, key)
					require.NotEmpty(t, s.Events(), "the error is recorded")
				} else {
					require.Equal(t, codes.Unset, s.Status().Code, key)
				}
			}
			check(fmt.Sprintf("%d/1", ids["ok"]), 0, "completed", false)
			check(fmt.Sprintf("%d/1", ids["cancel"]), 0, "cancelled", true)
			check(fmt.Sprintf("%d/1", ids["fail"]), 0, "retried", true)
			check(fmt.Sprintf("%d/2", ids["fail"]), 0, "failed", true)
			check(fmt.Sprintf("%d/1", ids["snooze"]), 0, "snoozed", false)
			check(fmt.Sprintf("%d/1", ids["snooze"]), 1, "completed", false)
			require.Equal(t, "boom", runs[fmt.Sprintf("%d/2", ids["fail"])][0].Status().Description)
			require.Equal(t, fmt.Sprint(ids["ok"]), attrs(runs[fmt.Sprintf("%d/1", ids["ok"])][0])["messaging.message.id"].AsString())

			// Every "inner" span is a child of a run span.
			parents := map[trace.SpanID]bool{}
			for _, ss := range runs {
				for _, s := range ss {
					parents[s.SpanContext().SpanID()] = true
				}
			}
			inner := 0
			for _, s := range rec.Ended() {
				if s.Name() == "inner" {
					inner++
					require.True(t, parents[s.Parent().SpanID()])
				}
			}
			require.Equal(t, 6, inner)
		})
	}
}

// create creates one enveloped task inside a span of the test's own, and
// returns that span's context.
func create(t *testing.T, tr *Tracing, tracer trace.Tracer, q *gosk.Queue[Envelope[string]], v string) trace.SpanContext {
	t.Helper()
	ctx, span := tracer.Start(t.Context(), "request")
	defer span.End()
	e := Wrap(ctx, tr, v)
	require.Contains(t, e.Trace, "traceparent")
	_, err := q.Create(ctx, e, nil)
	require.NoError(t, err)
	return span.SpanContext()
}

// TestEnvelope carries the trace context from create to run through the
// store: as a link on the Middleware's span, as a link on Handler's own
// span, and as the parent with Config.Child.
func TestEnvelope(t *testing.T) {
	for _, st := range stores {
		for _, mode := range []string{"middleware", "link", "child"} {
			t.Run(st.name+"/"+mode, func(t *testing.T) {
				tr, rec, tracer := recorder(t, mode == "child")
				q, err := gosk.NewQueue[Envelope[string]](st.open(t), "mail", nil)
				require.NoError(t, err)
				created := create(t, tr, tracer, q, "ada")
				_, err = q.Create(t.Context(), Wrap(context.Background(), tr, "untraced"), nil)
				require.NoError(t, err)

				var got []string
				cfg := &worker.Config{Concurrency: 1, Retention: worker.NoRetention}
				if mode == "middleware" {
					cfg.Middleware = []worker.Middleware{tr.Middleware()}
				}
				w, err := worker.New(q, Handler(tr, func(_ context.Context, task *gosk.Task[Envelope[string]]) error {
					got = append(got, task.Payload.Value)
					return nil
				}), cfg)
				require.NoError(t, err)
				drain(t, w)
				require.Equal(t, []string{"ada", "untraced"}, got)

				var traced, untraced sdktrace.ReadOnlySpan
				n := 0
				for _, s := range rec.Ended() {
					if s.Name() != "process mail" {
						continue
					}
					n++
					if s.SpanContext().TraceID() == created.TraceID() || len(s.Links()) > 0 {
						traced = s
					} else {
						untraced = s
					}
				}
				require.Equal(t, 2, n, "one span per run, whether the Middleware or Handler starts it")
				require.NotNil(t, traced)
				require.NotNil(t, untraced)
				require.Empty(t, untraced.Links())
				require.Equal(t, "completed", attrs(traced)[AttrTaskOutcome].AsString())
				if mode == "child" {
					require.Equal(t, created.TraceID(), traced.SpanContext().TraceID())
					require.Equal(t, created.SpanID(), traced.Parent().SpanID())
					require.Empty(t, traced.Links())
					return
				}
				require.NotEqual(t, created.TraceID(), traced.SpanContext().TraceID())
				require.Len(t, traced.Links(), 1)
				require.Equal(t, created.TraceID(), traced.Links()[0].SpanContext.TraceID())
				require.Equal(t, created.SpanID(), traced.Links()[0].SpanContext.SpanID())
			})
		}
	}
}

// TestOutcome names the outcomes that only the run's context tells.
func TestOutcome(t *testing.T) {
	info := worker.TaskInfo{ID: 1, Queue: "q", Attempt: 1, MaxAttempts: 3}
	ctx, cancel := context.WithCancelCause(t.Context())
	cancel(fmt.Errorf("gone: %w", gosk.ErrLeaseLost))
	require.Equal(t, "lease lost", Outcome(ctx, info, context.Canceled))
	require.Equal(t, "completed", Outcome(ctx, info, nil), "a handler that returns nil still completes")
	ctx, cancel = context.WithCancelCause(t.Context())
	cancel(worker.ErrShutdown)
	require.Equal(t, "released", Outcome(ctx, info, context.Canceled))
	require.Equal(t, "retried", Outcome(t.Context(), info, errors.New("x")))
}

// TestSpanContextBare: an Envelope that carries no trace context has no
// span context, even read in a context that holds a span.
func TestSpanContextBare(t *testing.T) {
	tr, _, tracer := recorder(t, false)
	ctx, span := tracer.Start(t.Context(), "current")
	defer span.End()
	require.False(t, Envelope[int]{Value: 1}.SpanContext(ctx, tr).IsValid())
	e := Wrap(ctx, tr, 1)
	require.Equal(t, span.SpanContext().SpanID(), e.SpanContext(t.Context(), tr).SpanID())
	require.Nil(t, Wrap(t.Context(), tr, 1).Trace)
}
