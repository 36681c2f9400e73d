// Command quickstart creates a few hundred tasks and processes them with a
// pool of workers, printing progress and a summary.
//
// The tasks are stored in a SQLite file, the durable embedded default: no
// server, no cgo. Some tasks fail once and succeed on their retry, some are
// invalid and cancel themselves, and some never succeed and fail after their
// last attempt, so every ending of the lifecycle shows up in the summary.
//
//	go run ./examples/quickstart                 # 300 tasks, 4 workers of 8 handlers, a temporary file
//	go run ./examples/quickstart -tasks 2000 -workers 2 -concurrency 16
//	go run ./examples/quickstart -dir ./data     # keep the file (./data/quickstart.db)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/drivers/sqlite"
	"github.com/gosk/gosk/worker"
)

// Thumbnail is the quickstart's task: make a thumbnail of an image.
type Thumbnail struct {
	Image string `json:"image"`
	Width int    `json:"width"`
	// Behaviour lets the demo show each ending: "" succeeds, "flaky" fails
	// its first attempt, "invalid" cancels itself, "broken" always fails.
	Behaviour string `json:"behaviour,omitempty"`
}

var errFlaky = errors.New("image store timed out")

func main() {
	tasks := flag.Int("tasks", 300, "how many tasks to create")
	workers := flag.Int("workers", 4, "how many workers share the queue")
	concurrency := flag.Int("concurrency", 8, "handlers per worker")
	dir := flag.String("dir", "", "directory for the SQLite file (default: a temporary one, removed at exit)")
	flag.Parse()

	if *dir == "" {
		tmp, err := os.MkdirTemp("", "gosk-quickstart-")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(tmp)
		*dir = tmp
	}
	if _, err := run(os.Stdout, filepath.Join(*dir, "quickstart.db"), *tasks, *workers, *concurrency); err != nil {
		log.Fatal(err)
	}
}

// summary is what a run did.
type summary struct {
	counts  map[gosk.State]int64
	retried int64
}

func run(out io.Writer, path string, tasks, workers, concurrency int) (summary, error) {
	ctx := context.Background()
	drv, err := sqlite.Open(ctx, path, nil)
	if err != nil {
		return summary{}, fmt.Errorf("open %s: %w", path, err)
	}
	defer drv.Close()
	fmt.Fprintf(out, "tasks are stored in %s\n", path)

	q, err := gosk.NewQueue[Thumbnail](drv, "thumbnails", &gosk.QueueOptions{MaxAttempts: 3})
	if err != nil {
		return summary{}, fmt.Errorf("new queue: %w", err)
	}

	thumbs := make([]Thumbnail, tasks)
	for i := range thumbs {
		thumbs[i] = Thumbnail{Image: fmt.Sprintf("photo-%04d.jpg", i), Width: 128}
		switch {
		case i%50 == 49:
			thumbs[i].Behaviour = "broken"
		case i%25 == 24:
			thumbs[i].Behaviour = "invalid"
		case i%10 == 9:
			thumbs[i].Behaviour = "flaky"
		}
	}
	start := time.Now()
	if _, err := q.CreateMany(ctx, gosk.Items(thumbs, nil)); err != nil {
		return summary{}, fmt.Errorf("create tasks: %w", err)
	}
	fmt.Fprintf(out, "created %d tasks in %v\n", tasks, time.Since(start).Round(time.Millisecond))

	var retried atomic.Int64
	cfg := &worker.Config{
		Concurrency: concurrency,
		Rule:        gosk.Fifo,
		Lease:       10 * time.Second,
		// Short back-off so the demo's retries happen while you watch.
		Backoff: func(attempt int) time.Duration { return time.Duration(attempt) * 20 * time.Millisecond },
		OnEvent: func(e worker.Event) {
			if e.Kind == worker.EventRetried {
				retried.Add(1)
			}
		},
	}

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		w, err := worker.New(q, makeThumbnail, cfg)
		if err != nil {
			return summary{}, fmt.Errorf("new worker: %w", err)
		}
		wg.Go(func() { errs <- w.Run(runCtx) })
	}

	counts, err := waitUntilFinal(ctx, out, q, tasks)
	stop()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return summary{}, fmt.Errorf("worker: %w", err)
		}
	}
	elapsed := time.Since(start)

	if err != nil {
		return summary{}, err
	}
	fmt.Fprintln(out)
	fmt.Fprintf(out, "completed  %4d\n", counts[gosk.StateCompleted])
	fmt.Fprintf(out, "retried    %4d  (runs that failed and were tried again)\n", retried.Load())
	fmt.Fprintf(out, "cancelled  %4d\n", counts[gosk.StateCancelled])
	fmt.Fprintf(out, "failed     %4d  (gave up after %d attempts)\n", counts[gosk.StateFailed], 3)
	fmt.Fprintf(out, "time taken %v (%.0f tasks/s)\n", elapsed.Round(time.Millisecond), float64(tasks)/elapsed.Seconds())
	return summary{counts: counts, retried: retried.Load()}, nil
}

// makeThumbnail is the handler: it pretends to work for a few milliseconds.
func makeThumbnail(ctx context.Context, t *gosk.Task[Thumbnail]) error {
	select {
	case <-time.After(time.Duration(1+rand.IntN(4)) * time.Millisecond):
	case <-ctx.Done():
		return context.Cause(ctx)
	}
	switch t.Payload.Behaviour {
	case "flaky":
		if t.Attempt == 1 {
			return errFlaky
		}
	case "invalid":
		return fmt.Errorf("%s has no pixels: %w", t.Payload.Image, gosk.ErrCancelTask)
	case "broken":
		return fmt.Errorf("%s: decoder crashed", t.Payload.Image)
	}
	return nil
}

// waitUntilFinal prints progress until every task is final, and returns the
// final counts.
func waitUntilFinal(ctx context.Context, out io.Writer, q *gosk.Queue[Thumbnail], total int) (map[gosk.State]int64, error) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var last string
	deadline := time.After(2 * time.Minute)
	for {
		select {
		case <-tick.C:
		case <-deadline:
			return nil, errors.New("tasks did not finish within 2 minutes")
		}
		counts, err := q.Count(ctx)
		if err != nil {
			return nil, fmt.Errorf("count: %w", err)
		}
		final := counts[gosk.StateCompleted] + counts[gosk.StateCancelled] + counts[gosk.StateFailed]
		line := fmt.Sprintf("pending %4d  running %3d  completed %4d  cancelled %3d  failed %3d",
			counts[gosk.StatePending], counts[gosk.StateRunning], counts[gosk.StateCompleted],
			counts[gosk.StateCancelled], counts[gosk.StateFailed])
		if line != last {
			fmt.Fprintln(out, line)
			last = line
		}
		if final == int64(total) {
			return counts, nil
		}
	}
}
