// Command schedule runs one periodic schedule in several replicas of a
// service at once, as several processes would, each with its own driver
// on one SQLite file and a clock of its own, and shows that each slot of
// the schedule became one task.
//
// No replica leads: each runs worker.NewSchedule with the same queue and
// name next to its worker, and the store takes each slot once. One
// replica's clock runs ahead of the others, as a machine's may; it
// creates its slots early, never twice.
//
//	go run ./examples/schedule                   # 3 replicas, a slot every 200ms, for 3s
//	go run ./examples/schedule -every 1s -for 10s -replicas 5
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/drivers/sqlite"
	"github.com/gosk/gosk/worker"
)

// Report is the scheduled task: the report of one slot.
type Report struct {
	Slot time.Time `json:"slot"`
}

func main() {
	every := flag.Duration("every", 200*time.Millisecond, "the schedule's period")
	length := flag.Duration("for", 3*time.Second, "how long the replicas run")
	replicas := flag.Int("replicas", 3, "how many replicas run the schedule")
	flag.Parse()
	dir, err := os.MkdirTemp("", "gosk-schedule-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	slots, err := run(os.Stdout, filepath.Join(dir, "schedule.db"), *every, *length, *replicas)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d reports, one per slot\n", len(slots))
}

// run runs the replicas for length and returns the slot of each report
// that a worker ran, in the order they ran.
func run(out io.Writer, path string, every, length time.Duration, replicas int) ([]time.Time, error) {
	ctx, cancel := context.WithTimeout(context.Background(), length)
	defer cancel()
	var (
		mu    sync.Mutex
		slots []time.Time
		wg    sync.WaitGroup
		errs  = make(chan error, 2*replicas)
	)
	for i := range replicas {
		drv, err := sqlite.Open(context.Background(), path, nil)
		if err != nil {
			return nil, err
		}
		defer drv.Close()
		q, err := gosk.NewQueue[Report](drv, "reports", nil)
		if err != nil {
			return nil, err
		}
		// Replica 0's clock is a period and a half ahead.
		skew := time.Duration(0)
		if i == 0 {
			skew = every * 3 / 2
		}
		s, err := worker.NewSchedule(q, "report", worker.Every(every),
			func(slot time.Time) Report { return Report{Slot: slot} },
			&worker.ScheduleConfig{
				Clock:     func() time.Time { return time.Now().Add(skew) },
				ClockSkew: 2 * every, // at least the skew, plus a write's time
				Missed:    worker.MissedSkip,
			})
		if err != nil {
			return nil, err
		}
		w, err := worker.New(q, func(ctx context.Context, t *gosk.Task[Report]) error {
			fmt.Fprintf(out, "replica %d: report of %s\n", i, t.Payload.Slot.Format("15:04:05.000"))
			mu.Lock()
			defer mu.Unlock()
			slots = append(slots, t.Payload.Slot)
			return nil
		}, &worker.Config{PollInterval: every / 4, Concurrency: 1})
		if err != nil {
			return nil, err
		}
		wg.Go(func() { errs <- s.Run(ctx) })
		wg.Go(func() { errs <- w.Run(ctx) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return slots, nil
}
