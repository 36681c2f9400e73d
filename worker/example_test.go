package worker_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/drivers/memory"
	"github.com/gosk/gosk/worker"
)

type Email struct {
	To string
}

// Run a worker over a queue until its context is done. The handler
// cancels invalid tasks with gosk.ErrCancelTask; OnEvent stops the worker
// once every task has ended.
func ExampleWorker_Run() {
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	drv := memory.New(nil)
	defer drv.Close()

	q, err := gosk.NewQueue[Email](drv, "emails", nil)
	if err != nil {
		panic(err)
	}
	if _, err := q.CreateMany(ctx, gosk.Items([]Email{{To: "ada@example.com"}, {To: "not-an-address"}, {To: "grace@example.com"}}, nil)); err != nil {
		panic(err)
	}

	var mu sync.Mutex
	var sent []string
	ended := 0
	w, err := worker.New(q, func(ctx context.Context, t *gosk.Task[Email]) error {
		if !strings.Contains(t.Payload.To, "@") {
			return fmt.Errorf("bad address %q: %w", t.Payload.To, gosk.ErrCancelTask)
		}
		mu.Lock()
		defer mu.Unlock()
		sent = append(sent, t.Payload.To)
		return nil
	}, &worker.Config{
		Concurrency: 4,
		OnEvent: func(worker.Event) {
			if ended++; ended == 3 {
				stop()
			}
		},
	})
	if err != nil {
		panic(err)
	}
	if err := w.Run(ctx); err != nil { // returns after a graceful shutdown
		panic(err)
	}

	sort.Strings(sent)
	fmt.Println("sent:", sent)
	counts, err := q.Count(context.Background())
	if err != nil {
		panic(err)
	}
	fmt.Println("completed:", counts[gosk.StateCompleted], "cancelled:", counts[gosk.StateCancelled])
	// Output:
	// sent: [ada@example.com grace@example.com]
	// completed: 2 cancelled: 1
}

// Work handles what is available now and returns, for programs that bring
// their own schedule (a cron job, a serverless function).
func ExampleWorker_Work() {
	ctx := context.Background()
	drv := memory.New(nil)
	defer drv.Close()
	q, err := gosk.NewQueue[Email](drv, "emails", nil)
	if err != nil {
		panic(err)
	}
	if _, err := q.CreateMany(ctx, gosk.Items([]Email{{To: "a@example.com"}, {To: "b@example.com"}}, nil)); err != nil {
		panic(err)
	}
	w, err := worker.New(q, func(ctx context.Context, t *gosk.Task[Email]) error {
		return nil
	}, &worker.Config{Concurrency: 10})
	if err != nil {
		panic(err)
	}
	for {
		err := w.Work(ctx)
		if errors.Is(err, worker.ErrNoTask) {
			fmt.Println("queue drained")
			break
		}
		if err != nil {
			panic(err)
		}
		fmt.Println("handled a batch")
	}
	// Output:
	// handled a batch
	// queue drained
}

// A middleware that counts runs and a handler that snoozes a task once:
// a snooze gives its attempt back.
func ExampleMiddleware() {
	ctx := context.Background()
	drv := memory.New(nil)
	defer drv.Close()
	q, err := gosk.NewQueue[Email](drv, "emails", nil)
	if err != nil {
		panic(err)
	}
	id, err := q.Create(ctx, Email{To: "a@example.com"}, nil)
	if err != nil {
		panic(err)
	}

	runs := 0
	count := func(ctx context.Context, info worker.TaskInfo, next func(context.Context) error) error {
		runs++ // Config.Concurrency is 1 below, so no lock is needed here.
		return next(ctx)
	}
	w, err := worker.New(q, func(ctx context.Context, t *gosk.Task[Email]) error {
		if runs == 1 {
			return gosk.Snooze(0) // not now; try again
		}
		return nil
	}, &worker.Config{Concurrency: 1, Middleware: []worker.Middleware{count}})
	if err != nil {
		panic(err)
	}
	for w.Work(ctx) == nil {
	}
	task, err := q.Get(ctx, id)
	if err != nil {
		panic(err)
	}
	fmt.Println("runs:", runs, "state:", task.State, "attempts used:", task.Attempt)
	// Output: runs: 2 state: completed attempts used: 1
}

// Stop a worker from another goroutine, as a service does on SIGTERM:
// Stop lets running handlers finish (up to Config.ShutdownTimeout);
// StopNow, used here, cancels them at once, and the task of one that
// returns an error goes back to the queue with its attempt given back.
func ExampleWorker_StopNow() {
	ctx := context.Background()
	drv := memory.New(nil)
	defer drv.Close()
	q, err := gosk.NewQueue[Email](drv, "emails", nil)
	if err != nil {
		panic(err)
	}
	id, err := q.Create(ctx, Email{To: "a@example.com"}, nil)
	if err != nil {
		panic(err)
	}
	started := make(chan struct{})
	w, err := worker.New(q, func(ctx context.Context, t *gosk.Task[Email]) error {
		close(started)
		<-ctx.Done() // a long job that honours its context
		fmt.Println("handler cancelled:", errors.Is(context.Cause(ctx), worker.ErrShutdown))
		return ctx.Err()
	}, nil)
	if err != nil {
		panic(err)
	}
	ran := make(chan error, 1)
	go func() { ran <- w.Run(ctx) }()

	<-started
	if err := w.StopNow(ctx); err != nil { // returns once Run has
		panic(err)
	}
	<-w.Stopped() // already closed
	fmt.Println("run:", <-ran)
	task, err := q.Get(ctx, id)
	if err != nil {
		panic(err)
	}
	fmt.Println("state:", task.State, "attempts used:", task.Attempt)
	// Output:
	// handler cancelled: true
	// run: <nil>
	// state: pending attempts used: 0
}
