package goskotel_test

import (
	"context"
	"errors"
	"fmt"

	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/gosk/gosk"
	goskotel "github.com/gosk/gosk/contrib/otel"
	"github.com/gosk/gosk/drivers/memory"
	"github.com/gosk/gosk/worker"
)

type Email struct {
	To string `json:"to"`
}

// Trace each run of a queue's handler and link it to the request that
// created the task: the queue holds Envelopes, Wrap puts the request's
// trace context in the payload, Handler reads it back for the
// Middleware's span.
func Example() {
	ctx := context.Background()
	// A real program exports its spans (OTLP, stdout); this one records
	// them to print them.
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	defer func() { _ = tp.Shutdown(ctx) }()
	tr := goskotel.New(&goskotel.Config{TracerProvider: tp, Propagator: propagation.TraceContext{}})

	drv := memory.New(nil)
	defer drv.Close()
	q, err := gosk.NewQueue[goskotel.Envelope[Email]](drv, "emails", nil)
	if err != nil {
		panic(err)
	}

	// In the request that creates the task:
	reqCtx, span := tp.Tracer("app").Start(ctx, "POST /signup")
	_, err = q.Create(reqCtx, goskotel.Wrap(reqCtx, tr, Email{To: "ada@example.com"}), nil)
	span.End()
	if err != nil {
		panic(err)
	}

	w, err := worker.New(q, goskotel.Handler(tr, func(ctx context.Context, t *gosk.Task[goskotel.Envelope[Email]]) error {
		fmt.Println("sending to", t.Payload.Value.To)
		return nil
	}), &worker.Config{Middleware: []worker.Middleware{tr.Middleware()}})
	if err != nil {
		panic(err)
	}
	if err := w.Work(ctx); err != nil && !errors.Is(err, worker.ErrNoTask) {
		panic(err)
	}

	for _, s := range rec.Ended() {
		if s.Name() == "process emails" {
			linked := len(s.Links()) == 1 && s.Links()[0].SpanContext.SpanID() == span.SpanContext().SpanID()
			fmt.Println(s.Name(), "linked to the request:", linked)
		}
	}
	// Output:
	// sending to ada@example.com
	// process emails linked to the request: true
}
