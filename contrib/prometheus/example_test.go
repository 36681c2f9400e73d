package goskprom_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gosk/gosk"
	goskprom "github.com/gosk/gosk/contrib/prometheus"
	"github.com/gosk/gosk/drivers/memory"
	"github.com/gosk/gosk/worker"
)

// Count a worker's tasks and expose them on /metrics: wrap the driver
// for creates and claims, hook the worker for outcomes and durations,
// and register a DepthCollector for the queue's depth at scrape time.
func Example() {
	ctx := context.Background()
	reg := prometheus.NewRegistry()
	m, err := goskprom.New(reg, nil)
	if err != nil {
		panic(err)
	}
	mem := memory.New(nil)
	defer mem.Close()
	drv := m.Driver(mem) // queues and workers use the wrapper

	q, err := gosk.NewQueue[string](drv, "emails", nil)
	if err != nil {
		panic(err)
	}
	if _, err := q.CreateMany(ctx, gosk.Items([]string{"ada@example.com", "grace@example.com"}, nil)); err != nil {
		panic(err)
	}
	w, err := worker.New(q, func(ctx context.Context, t *gosk.Task[string]) error {
		return nil // send the email
	}, &worker.Config{
		OnEvent:    m.OnEvent,
		Middleware: []worker.Middleware{m.Middleware()},
	})
	if err != nil {
		panic(err)
	}
	for err == nil {
		err = w.Work(ctx) // a real program calls w.Run(ctx)
	}
	if !errors.Is(err, worker.ErrNoTask) {
		panic(err)
	}

	depth, err := goskprom.NewDepthCollector(drv, []string{"emails"}, nil)
	if err != nil {
		panic(err)
	}
	reg.MustRegister(depth)

	// A real program serves it: http.Handle("/metrics", handler).
	handler := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	sc := bufio.NewScanner(rec.Body)
	for sc.Scan() {
		line := sc.Text()
		for _, name := range []string{"gosk_tasks_created_total", "gosk_tasks_claimed_total", "gosk_task_runs_total", "gosk_handler_duration_seconds_count", `gosk_queue_tasks{queue="emails",state="completed"}`} {
			if strings.HasPrefix(line, name) {
				fmt.Println(line)
			}
		}
	}
	// Output:
	// gosk_handler_duration_seconds_count{outcome="completed",queue="emails"} 2
	// gosk_queue_tasks{queue="emails",state="completed"} 2
	// gosk_task_runs_total{outcome="completed",queue="emails"} 2
	// gosk_tasks_claimed_total{queue="emails"} 2
	// gosk_tasks_created_total{queue="emails"} 2
}
