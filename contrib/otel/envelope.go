package goskotel

import (
	"context"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/worker"
)

// Envelope is a task payload that carries the trace context of the code
// that created the task next to the user's value: the payload type of a
// queue whose runs are to be traced back to their creation. Make one
// with Wrap; see "From create to run" in the package doc.
type Envelope[T any] struct {
	// Trace holds the trace context as the propagator wrote it (with W3C
	// Trace Context, "traceparent" and maybe "tracestate"); empty when
	// the creating context had no span.
	Trace map[string]string `json:"trace,omitempty"`
	// Value is the task's own payload.
	Value T `json:"value"`
}

// Wrap returns v in an Envelope that carries ctx's trace context, as
// t's propagator writes it.
func Wrap[T any](ctx context.Context, t *Tracing, v T) Envelope[T] {
	carrier := propagation.MapCarrier{}
	t.prop.Inject(ctx, carrier)
	e := Envelope[T]{Value: v}
	if len(carrier) > 0 {
		e.Trace = carrier
	}
	return e
}

// SpanContext returns the trace context that e carries, as t's
// propagator reads it: the span that created the task. It is not valid
// when e carries none, whatever span ctx holds; ctx is only what the
// propagator reads into.
func (e Envelope[T]) SpanContext(ctx context.Context, t *Tracing) trace.SpanContext {
	bare := trace.ContextWithSpanContext(ctx, trace.SpanContext{})
	return trace.SpanContextFromContext(t.prop.Extract(bare, propagation.MapCarrier(e.Trace)))
}

// Handler wraps h, the handler of a queue of Envelopes, so that the
// run's span refers to the span that created the task: with the
// Middleware, its span of the run gets a link to it; without, Handler
// starts the run's span itself (the Middleware's name and attributes),
// linked to the creating span or, with Config.Child, its child. A
// payload that carries no trace context runs with a span and no link.
func Handler[T any](t *Tracing, h worker.Handler[Envelope[T]]) worker.Handler[Envelope[T]] {
	return func(ctx context.Context, task *gosk.Task[Envelope[T]]) error {
		created := task.Payload.SpanContext(ctx, t)
		if span, ok := ctx.Value(runKey{}).(trace.Span); ok {
			if created.IsValid() {
				span.AddLink(trace.Link{SpanContext: created})
			}
			return h(ctx, task)
		}
		info := worker.TaskInfo{ID: task.ID, Queue: task.Queue, Attempt: task.Attempt, MaxAttempts: task.MaxAttempts, Priority: task.Priority}
		var opts []trace.SpanStartOption
		switch {
		case !created.IsValid():
		case t.child:
			ctx = trace.ContextWithRemoteSpanContext(ctx, created)
		default:
			opts = append(opts, trace.WithLinks(trace.Link{SpanContext: created}))
		}
		ctx, span := t.start(ctx, info, opts...)
		err := h(ctx, task)
		t.end(ctx, span, info, err)
		return err
	}
}
