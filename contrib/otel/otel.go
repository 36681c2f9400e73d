package goskotel

import (
	"context"
	"errors"
	"strconv"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/worker"
)

// ScopeName is the instrumentation scope of the tracer that starts the
// spans.
const ScopeName = "github.com/gosk/gosk/contrib/otel"

// The attribute keys of gosk's own that a run's span carries, next to
// those of the messaging conventions.
const (
	// AttrTaskID is the task's ID, an int64.
	AttrTaskID = attribute.Key("gosk.task.id")
	// AttrTaskAttempt is the run's attempt number, 1 for the first.
	AttrTaskAttempt = attribute.Key("gosk.task.attempt")
	// AttrTaskMaxAttempts is how many attempts the task may use up.
	AttrTaskMaxAttempts = attribute.Key("gosk.task.max_attempts")
	// AttrTaskOutcome is what the handler's result asks for (see Outcome).
	AttrTaskOutcome = attribute.Key("gosk.task.outcome")
)

// Config configures a Tracing. The zero value means every default; nil
// means all defaults.
type Config struct {
	// TracerProvider provides the tracer that starts the spans. Default
	// the global one, otel.GetTracerProvider().
	TracerProvider trace.TracerProvider
	// Propagator writes the trace context into an Envelope (Wrap) and
	// reads it back (Handler). Default the global one,
	// otel.GetTextMapPropagator(); note that the global propagator
	// propagates nothing until the program sets one (for instance
	// propagation.TraceContext{}).
	Propagator propagation.TextMapPropagator
	// Child makes the run's span, when Handler starts it, a child of the
	// span that created the task rather than a span of its own trace
	// that links to it. It has no effect on runs whose span the
	// Middleware started. Default false: a link.
	Child bool
}

// Tracing starts the spans of task runs and carries trace contexts in
// Envelopes. Make one with New; it is safe for concurrent use, and one
// serves every queue and worker of a process.
type Tracing struct {
	tracer trace.Tracer
	prop   propagation.TextMapPropagator
	child  bool
}

// New returns a Tracing configured by cfg (nil for defaults).
func New(cfg *Config) *Tracing {
	var c Config
	if cfg != nil {
		c = *cfg
	}
	if c.TracerProvider == nil {
		c.TracerProvider = otel.GetTracerProvider()
	}
	if c.Propagator == nil {
		c.Propagator = otel.GetTextMapPropagator()
	}
	return &Tracing{tracer: c.TracerProvider.Tracer(ScopeName), prop: c.Propagator, child: c.Child}
}

// runKey marks a context in which the Middleware started the run's span.
type runKey struct{}

// Middleware returns a worker.Middleware that starts a span for each
// handler run and ends it when the handler returns (see Spans in the
// package doc).
func (t *Tracing) Middleware() worker.Middleware {
	return func(ctx context.Context, info worker.TaskInfo, next func(context.Context) error) error {
		ctx, span := t.start(ctx, info)
		ctx = context.WithValue(ctx, runKey{}, span)
		err := next(ctx)
		t.end(ctx, span, info, err)
		return err
	}
}

// start starts the span of the run info describes.
func (t *Tracing) start(ctx context.Context, info worker.TaskInfo, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	id := strconv.FormatInt(info.ID, 10)
	opts = append(opts, trace.WithSpanKind(trace.SpanKindConsumer), trace.WithAttributes(
		attribute.String("messaging.system", "gosk"),
		attribute.String("messaging.operation.name", "process"),
		attribute.String("messaging.operation.type", "process"),
		attribute.String("messaging.destination.name", info.Queue),
		attribute.String("messaging.message.id", id),
		AttrTaskID.Int64(info.ID),
		AttrTaskAttempt.Int(info.Attempt),
		AttrTaskMaxAttempts.Int(info.MaxAttempts),
	))
	return t.tracer.Start(ctx, "process "+info.Queue, opts...)
}

// end records the run's result on its span and ends it.
func (t *Tracing) end(ctx context.Context, span trace.Span, info worker.TaskInfo, err error) {
	span.SetAttributes(AttrTaskOutcome.String(Outcome(ctx, info, err)))
	var snooze *gosk.SnoozeError
	if err != nil && !errors.As(err, &snooze) {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

// Outcome returns what a handler's result err on the run info describes,
// in the context ctx the handler ran in, asks the worker to store: the
// name of the worker.EventKind (see worker.Decide), or "lease lost" or
// "released" for an error once ctx was cancelled because the lease was
// lost or the worker shut down.
func Outcome(ctx context.Context, info worker.TaskInfo, err error) string {
	if err != nil {
		cause := context.Cause(ctx)
		switch {
		case errors.Is(cause, gosk.ErrLeaseLost):
			return worker.EventLeaseLost.String()
		case errors.Is(cause, worker.ErrShutdown):
			return worker.EventReleased.String()
		}
	}
	return worker.Decide(info, err, nil).Kind.String()
}
