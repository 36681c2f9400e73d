package worker_test

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/drivers/memory"
	"github.com/gosk/gosk/worker"
)

// Run workers of two payload types as one Group: one Run, one event hook,
// and a budget of 4 handlers that the busy queues share 3 to 1.
func ExampleGroup() {
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	drv := memory.New(nil)
	defer drv.Close()

	emails, err := gosk.NewQueue[Email](drv, "emails", nil)
	if err != nil {
		panic(err)
	}
	reports, err := gosk.NewQueue[int](drv, "reports", nil)
	if err != nil {
		panic(err)
	}
	if _, err := emails.CreateMany(ctx, gosk.Items([]Email{{To: "ada@example.com"}, {To: "grace@example.com"}}, nil)); err != nil {
		panic(err)
	}
	if _, err := reports.Create(ctx, 2026, nil); err != nil {
		panic(err)
	}

	var ended atomic.Int32
	g, err := worker.NewGroup(&worker.GroupConfig{
		MaxConcurrency: 4,
		OnEvent: func(ev worker.Event) { // one hook for every queue, never called concurrently
			if ended.Add(1) == 3 {
				stop()
			}
		},
	})
	if err != nil {
		panic(err)
	}
	var sent, built atomic.Int32
	ew, err := worker.New(emails, func(ctx context.Context, t *gosk.Task[Email]) error {
		sent.Add(1)
		return nil
	}, nil)
	if err != nil {
		panic(err)
	}
	rw, err := worker.New(reports, func(ctx context.Context, t *gosk.Task[int]) error {
		built.Add(1)
		return nil
	}, nil)
	if err != nil {
		panic(err)
	}
	if err := g.Add(ew, &worker.MemberOptions{Weight: 3}); err != nil {
		panic(err)
	}
	if err := g.Add(rw, nil); err != nil { // weight 1
		panic(err)
	}
	if err := g.Run(ctx); err != nil { // until ctx is done, then one graceful shutdown
		panic(err)
	}
	fmt.Println("emails sent:", sent.Load(), "reports built:", built.Load())
	// Output: emails sent: 2 reports built: 1
}
