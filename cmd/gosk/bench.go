package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/worker"
)

var benchCmd = &command{
	name: "bench",
	summary: "Measure the store: create and process N no-op tasks, printing tasks/s.\n" +
		"Creates the tasks, processes them with one worker and prints tasks per second\n" +
		"for each phase. Uses a queue of its own, whose tasks it\n" +
		"purges at the end. Shows a progress bar on stderr when it is a terminal, or\n" +
		"with --progress. Runs on memory: too.",
	memory: true,
	flags: func(fs *flag.FlagSet, c *call) {
		o := &benchOpts{}
		fs.IntVar(&o.n, "n", 10000, "how many tasks")
		fs.IntVar(&o.concurrency, "concurrency", worker.DefaultConcurrency, "the worker's handlers")
		fs.IntVar(&o.batch, "batch", 1000, "tasks created per call")
		fs.StringVar(&o.queue, "queue", "", "the `QUEUE` to use (default: gosk-bench- and a unique suffix)")
		fs.BoolVar(&o.progress, "progress", false, "show the progress bar even when stderr is not a terminal")
		c.opts = o
	},
	run: runBench,
}

type benchOpts struct {
	n, concurrency, batch int
	queue                 string
	progress              bool
}

// noop is the payload of a bench task.
type noop struct{}

func runBench(c *call) error {
	o := c.opts.(*benchOpts)
	switch {
	case len(c.args) > 0:
		return usagef("bench takes no arguments (did you mean -n %s?)", c.args[0])
	case o.n <= 0:
		return usagef("-n %d: want a positive number", o.n)
	case o.concurrency <= 0:
		return usagef("--concurrency %d: want a positive number", o.concurrency)
	case o.batch <= 0:
		return usagef("--batch %d: want a positive number", o.batch)
	}
	if o.queue == "" {
		o.queue = "gosk-bench-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	} else if err := driver.ValidateQueueName(o.queue); err != nil {
		return usageError{err.Error()}
	}
	q, err := gosk.NewQueue[noop](c.store.Driver, o.queue, nil)
	if err != nil {
		return err
	}
	show := o.progress || isTerminal(c.stderr)

	bar := startProgress(c.stderr, show, "create ", o.n)
	start := time.Now()
	items := make([]gosk.Item[noop], 0, o.batch)
	for made := 0; made < o.n; made += len(items) {
		items = items[:min(o.batch, o.n-made)]
		if _, err := q.CreateMany(c.ctx, items); err != nil {
			bar.stop()
			return err
		}
		bar.set(made + len(items))
	}
	bar.stop()
	created := time.Since(start)
	fmt.Fprintf(c.stdout, "created   %d tasks in %v: %.0f tasks/s\n", o.n, created.Round(time.Millisecond), rate(o.n, created))

	processed, err := c.process(q, o, show)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "processed %d tasks in %v: %.0f tasks/s\n", o.n, processed.Round(time.Millisecond), rate(o.n, processed))
	return c.cleanBench(o.queue)
}

// process runs a worker on q until it has completed o.n tasks, and
// returns how long that took.
func (c *call) process(q *gosk.Queue[noop], o *benchOpts, show bool) (time.Duration, error) {
	var done atomic.Int64
	all := make(chan struct{})
	ctx, cancel := context.WithCancel(c.ctx)
	defer cancel()
	bar := startProgress(c.stderr, show, "process", o.n)
	defer bar.stop()
	w, err := worker.New(q, func(context.Context, *gosk.Task[noop]) error { return nil }, &worker.Config{
		Concurrency: o.concurrency,
		OnEvent: func(e worker.Event) {
			if e.Kind != worker.EventCompleted {
				return
			}
			n := done.Add(1)
			bar.set(int(n))
			if n == int64(o.n) {
				close(all)
			}
		},
	})
	if err != nil {
		return 0, err
	}
	start := time.Now()
	ran := make(chan error, 1)
	go func() { ran <- w.Run(ctx) }()
	var took time.Duration
	select {
	case <-all:
		took = time.Since(start)
		cancel()
		err = <-ran
	case err = <-ran:
		if err == nil {
			err = c.ctx.Err()
		}
		if err == nil {
			err = errors.New("the worker stopped before every task was processed")
		}
	}
	return took, err
}

// cleanBench deletes the bench queue's tasks.
func (c *call) cleanBench(queue string) error {
	a, ok := c.store.Driver.(driver.Admin)
	if !ok {
		return nil
	}
	for {
		n, err := a.Purge(c.ctx, driver.PurgeParams{Queue: queue})
		if err != nil || n < driver.DefaultPurgeLimit {
			return err
		}
	}
}

func rate(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}
