// Package goskotel traces gosk's task runs with OpenTelemetry.
//
// It is a module of its own (github.com/gosk/gosk/contrib/otel), so that
// OpenTelemetry enters the module graph of those who import it and of no
// other gosk user.
//
// # Spans
//
// Tracing.Middleware, in worker.Config.Middleware, starts a span for
// every handler run, of kind consumer, named "process" and the queue
// ("process emails"), with these attributes:
//
//   - messaging.system "gosk", messaging.operation.name and
//     messaging.operation.type "process", messaging.destination.name the
//     queue and messaging.message.id the task's ID, after OpenTelemetry's
//     conventions for messaging;
//   - gosk.task.id, gosk.task.attempt (1 for the first run) and
//     gosk.task.max_attempts;
//   - gosk.task.outcome, what the handler's result asks for: completed,
//     cancelled, retried, failed or snoozed, or "lease lost" and
//     "released" when the run's context was cancelled for that reason
//     (see worker.Decide; the worker may still fail to store it).
//
// A run whose handler returns an error (other than a snooze) has the error
// recorded on its span and the span's status set to Error. The span's
// context is the handler's, so spans the handler starts are its
// children.
//
// # From create to run
//
// A task's payload is the user's own, and gosk stores nothing else with
// it, so the trace context of the code that creates a task travels in
// the payload, in an Envelope: a queue of Envelope[T] rather than T. Wrap
// puts the creating context's trace context (as the Tracing's
// propagator writes it, W3C traceparent by default) next to the value;
// Handler wraps the queue's handler so that the run's span links to that
// context, or, with Config.Child, is its child. The storage of gosk, its
// drivers and the other payloads are untouched: an Envelope is encoded
// by the queue's codec like any payload (with the JSON codec,
// {"trace":{"traceparent":"00-…"},"value":…}).
//
//	tr := goskotel.New(nil) // the global TracerProvider and propagator
//	q, _ := gosk.NewQueue[goskotel.Envelope[Email]](drv, "emails", nil)
//	_, err := q.Create(ctx, goskotel.Wrap(ctx, tr, Email{To: "ada@example.com"}), nil)
//	...
//	w, _ := worker.New(q, goskotel.Handler(tr, func(ctx context.Context, t *gosk.Task[goskotel.Envelope[Email]]) error {
//		return send(ctx, t.Payload.Value)
//	}), &worker.Config{Middleware: []worker.Middleware{tr.Middleware()}})
//
// With the Middleware in place, Handler adds the link to the Middleware's
// span of the run; without it, Handler starts the run's span itself,
// with the same name and attributes, which is how Config.Child can make
// it a child of the creating span (a span's parent is fixed when it
// starts, before the Middleware could see the payload).
//
// A link is the default, as OpenTelemetry's messaging conventions advise:
// a task may run long after the request that created it has ended, and
// many times; a child span keeps the run inside the request's trace,
// which reads well when tasks run soon after they are created.
//
// # Caveats
//
// Changing a queue's payload type from T to Envelope[T] changes the form
// of its payloads: tasks created before do not decode as the new type
// (with the JSON codec their Value comes out empty). Start with a new
// queue, or drain the old one first. The Envelope's Trace map is
// written by the propagator and read back by it; it holds text only. An
// Envelope needs a codec that encodes structs: the default JSON codec
// does, gosk.BytesCodec does not.
package goskotel
