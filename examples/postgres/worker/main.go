// Command worker processes the tasks that examples/postgres/producer
// creates. Start several, in separate terminals or on separate machines,
// against one database: they share the queue, each task goes to one of
// them, and new tasks wake them through LISTEN/NOTIFY.
//
// A worker exits by itself once the queue has had no pending or running
// task for -idle (default 3s), or after -for (default 1m), or on Ctrl-C;
// it finishes or hands back the tasks it holds before it exits.
//
//	go run ./examples/postgres/worker -concurrency 16
//	go run ./examples/postgres/worker -fail-every 7   # some tasks fail once and are retried
//
// The database is -url (default $GOSK_POSTGRES_URL, else the local test
// server); the tables live in schema -schema (default gosk_example).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"sync/atomic"
	"time"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/drivers/postgres"
	"github.com/gosk/gosk/worker"
)

// Email is the task: send one message.
type Email struct {
	To      string `json:"to"`
	Subject string `json:"subject"`
}

type settings struct {
	url, schema, queue string
	concurrency        int
	work, idle, limit  time.Duration
	failEvery          int64
}

func main() {
	var s settings
	flag.StringVar(&s.url, "url", defaultURL(), "PostgreSQL connection string")
	flag.StringVar(&s.schema, "schema", "gosk_example", "schema holding gosk's tables")
	flag.StringVar(&s.queue, "queue", "emails", "queue to take tasks from")
	flag.IntVar(&s.concurrency, "concurrency", 16, "handlers running at once")
	flag.DurationVar(&s.work, "work", 2*time.Millisecond, "how long each task pretends to work")
	flag.DurationVar(&s.idle, "idle", 3*time.Second, "exit once the queue has been empty this long")
	flag.DurationVar(&s.limit, "for", time.Minute, "exit after this long in any case")
	flag.Int64Var(&s.failEvery, "fail-every", 0, "fail the first attempt of every n-th task (0: never)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, s); err != nil {
		log.Fatal(err)
	}
}

func defaultURL() string {
	if u := os.Getenv("GOSK_POSTGRES_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

func run(ctx context.Context, s settings) error {
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	drv, err := postgres.Open(ctx, s.url, &postgres.Options{Schema: s.schema, MaxConns: 8, Logger: logger})
	if err != nil {
		return fmt.Errorf("driver: %w", err)
	}
	defer drv.Close() //nolint:errcheck // nothing left to flush
	q, err := gosk.NewQueue[Email](drv, s.queue, nil)
	if err != nil {
		return fmt.Errorf("queue: %w", err)
	}

	var completed, retried atomic.Int64
	handle := func(ctx context.Context, t *gosk.Task[Email]) error {
		select {
		case <-time.After(s.work): // sending the email
		case <-ctx.Done():
			return context.Cause(ctx)
		}
		if s.failEvery > 0 && t.ID%s.failEvery == 0 && t.Attempt == 1 {
			return errors.New("mail server said: try again later")
		}
		return nil
	}
	w, err := worker.New(q, handle, &worker.Config{
		Concurrency: s.concurrency,
		Rule:        gosk.Priority,
		Lease:       30 * time.Second,
		Logger:      logger,
		Backoff:     func(int) time.Duration { return 500 * time.Millisecond },
		OnEvent: func(e worker.Event) {
			switch e.Kind {
			case worker.EventCompleted:
				completed.Add(1)
			case worker.EventRetried:
				retried.Add(1)
			}
		},
	})
	if err != nil {
		return fmt.Errorf("worker: %w", err)
	}

	runCtx, cancel := context.WithTimeout(ctx, s.limit)
	defer cancel()
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- w.Run(runCtx) }()
	fmt.Printf("worker %d: %d handlers on queue %q of schema %q\n", os.Getpid(), s.concurrency, s.queue, s.schema)

	// Report every second; stop once the queue has stayed empty for s.idle.
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var emptySince time.Time
	var last int64
wait:
	for {
		select {
		case err := <-done:
			done <- err
			break wait
		case <-tick.C:
		}
		counts, err := q.Count(runCtx)
		if err != nil {
			continue // reported by the worker's logger too; Run carries on
		}
		now := completed.Load()
		fmt.Printf("  completed %6d here (%5d/s)   queue: pending %6d  running %3d  completed %7d  failed %d\n",
			now, now-last, counts[gosk.StatePending], counts[gosk.StateRunning], counts[gosk.StateCompleted], counts[gosk.StateFailed])
		last = now
		if counts[gosk.StatePending]+counts[gosk.StateRunning] > 0 {
			emptySince = time.Time{}
			continue
		}
		if emptySince.IsZero() {
			emptySince = time.Now()
		}
		if time.Since(emptySince) >= s.idle {
			fmt.Printf("queue empty for %v; stopping\n", s.idle)
			break
		}
	}
	cancel()
	if err := <-done; err != nil {
		return fmt.Errorf("run: %w", err)
	}
	elapsed := time.Since(start)
	fmt.Printf("worker %d done: completed %d tasks (%d retries) in %v\n",
		os.Getpid(), completed.Load(), retried.Load(), elapsed.Round(time.Millisecond))
	return nil
}
