package crashtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/worker"
)

// ChildEnv, set to a JSON role, makes MaybeChild run that role.
const ChildEnv = "GOSK_CRASHTEST_CHILD"

// Queue is the queue every process works on.
const Queue = "crash"

// Job is a task's payload.
type Job struct {
	// Batch marks the tasks created by one call; the marker is unique.
	Batch string `json:"b"`
	// Behave is what the handler does: see the Behave constants.
	Behave string `json:"h"`
	// Delay is the delay the task was created with, for the run-at check.
	Delay time.Duration `json:"d,omitempty"`
}

// What a handler does with a Job.
const (
	BehaveOK     = "ok"     // return nil
	BehaveErr    = "err"    // fail the first attempt, then succeed
	BehaveFail   = "fail"   // fail every attempt
	BehaveCancel = "cancel" // return gosk.ErrCancelTask
	BehavePanic  = "panic"  // panic on the first attempt, then succeed
	BehaveSnooze = "snooze" // snooze half the time, else succeed
	BehaveSlow   = "slow"   // run for 1.5 leases (pinged meanwhile), then succeed
)

// role is what a child process does, passed in ChildEnv.
type role struct {
	Store       Store
	Work        bool          // run a worker
	Concurrency int           // its handlers
	Lease       time.Duration // its lease
	Produce     int           // tasks to create before exiting (0: none)
	BatchSize   int           // tasks per create call
	Mix         []string      // behaviours to draw from
	UniqueKeys  int           // if > 0, one task in 4 is created alone with a key among this many
	MaxDelay    time.Duration // if > 0, one task in 8 gets a delay up to this
	Schedule    *scheduleRole // if set, run this schedule instead (see schedule.go)
}

// MaybeChild runs the child role named by ChildEnv and exits, or returns
// at once if ChildEnv is unset. Call it first in TestMain or main.
func MaybeChild() {
	spec := os.Getenv(ChildEnv)
	if spec == "" {
		return
	}
	var r role
	if err := json.Unmarshal([]byte(spec), &r); err != nil {
		fmt.Fprintln(os.Stderr, "crashtest child: bad role:", err)
		os.Exit(2)
	}
	if err := r.run(context.Background(), &lineWriter{f: os.Stdout}); err != nil {
		fmt.Fprintln(os.Stderr, "crashtest child:", err)
		os.Exit(3)
	}
	os.Exit(0)
}

// lineWriter writes each record with one write(2) (os.File writes are not
// buffered), so that a record is whole in the pipe or absent after a
// SIGKILL; lines under PIPE_BUF never interleave.
type lineWriter struct {
	mu sync.Mutex
	f  interface{ Write([]byte) (int, error) }
}

func (w *lineWriter) line(fields ...string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	_, _ = w.f.Write([]byte(strings.Join(fields, " ") + "\n"))
}

func (r role) run(ctx context.Context, out *lineWriter) error {
	d, err := retryStore(ctx, "open", func() (driver.Driver, error) { return r.Store.Open(ctx) })
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	defer d.Close()
	if r.Schedule != nil {
		return r.Schedule.run(ctx, d)
	}
	q, err := gosk.NewQueue[Job](d, Queue, &gosk.QueueOptions{MaxAttempts: 3})
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	errc := make(chan error, 2)
	if r.Work {
		w, err := newWorker(q, r.Concurrency, r.Lease, out)
		if err != nil {
			return err
		}
		wg.Go(func() { errc <- w.Run(ctx) }) // until killed
	}
	if r.Produce > 0 {
		if err := r.produce(ctx, q, out); err != nil {
			return err
		}
		if !r.Work {
			return nil
		}
	}
	wg.Wait()
	return <-errc
}

// produce creates r.Produce tasks in batches, writing "try MARKER N"
// before each create and "ack MARKER ID..." once it returned.
func (r role) produce(ctx context.Context, q *gosk.Queue[Job], out *lineWriter) error {
	pid := strconv.Itoa(os.Getpid())
	for made, seq := 0, 0; made < r.Produce; seq++ {
		marker := pid + "-" + strconv.Itoa(seq)
		var items []gosk.Item[Job]
		if r.UniqueKeys > 0 && seq%4 == 3 {
			key := "k" + strconv.Itoa(rand.N(r.UniqueKeys))
			items = []gosk.Item[Job]{{Payload: Job{Batch: marker, Behave: r.behave()}, Options: &gosk.CreateOptions{UniqueKey: key}}}
		} else {
			items = make([]gosk.Item[Job], min(r.BatchSize, r.Produce-made))
			for i := range items {
				job := Job{Batch: marker, Behave: r.behave()}
				if r.MaxDelay > 0 && rand.N(8) == 0 {
					job.Delay = rand.N(r.MaxDelay)
				}
				items[i] = gosk.Item[Job]{Payload: job, Options: &gosk.CreateOptions{Delay: job.Delay}}
			}
		}
		out.line("try", marker, strconv.Itoa(len(items)))
		// A create that fails stored nothing, so it is tried again, as a
		// real producer would (a store busy past its timeout on a
		// loaded machine is not a broken promise).
		res, err := retryStore(ctx, "create", func() ([]gosk.CreateResult, error) { return q.CreateMany(ctx, items) })
		if err != nil {
			return fmt.Errorf("create: %w", err)
		}
		ack := []string{"ack", marker}
		for _, c := range res {
			switch {
			case c.Err == nil:
				ack = append(ack, strconv.FormatInt(c.ID, 10))
				made++
			case errors.Is(c.Err, gosk.ErrDuplicate):
				ack = append(ack, "dup")
			default:
				return c.Err
			}
		}
		out.line(ack...)
	}
	return nil
}

func (r role) behave() string {
	if len(r.Mix) == 0 {
		return BehaveOK
	}
	return r.Mix[rand.N(len(r.Mix))]
}

// newWorker returns a worker whose handler writes "start ID ATTEMPT NANOS"
// as it begins and "end ID ATTEMPT NANOS RESULT" as it returns, and which
// writes "ev ID ATTEMPT KIND" for each worker.Event.
func newWorker(q *gosk.Queue[Job], concurrency int, lease time.Duration, out *lineWriter) (*worker.Worker[Job], error) {
	h := func(ctx context.Context, t *gosk.Task[Job]) (err error) {
		id, attempt := strconv.FormatInt(t.ID, 10), strconv.Itoa(t.Attempt)
		out.line("start", id, attempt, strconv.FormatInt(time.Now().UnixNano(), 10))
		result := "ok"
		defer func() {
			out.line("end", id, attempt, strconv.FormatInt(time.Now().UnixNano(), 10), result)
		}()
		// Hold the task a moment, so that a kill finds tasks held.
		if !sleep(ctx, time.Duration(rand.N(5000))*time.Microsecond) {
			result = "ctx"
			return context.Cause(ctx)
		}
		switch t.Payload.Behave {
		case BehaveErr:
			if t.Attempt == 1 {
				result = "err"
				return errors.New("first attempt fails")
			}
		case BehaveFail:
			result = "err"
			return errors.New("every attempt fails")
		case BehaveCancel:
			result = "cancel"
			return gosk.ErrCancelTask
		case BehavePanic:
			if t.Attempt == 1 {
				result = "panic"
				panic("first attempt panics")
			}
		case BehaveSnooze:
			if rand.N(2) == 0 {
				result = "snooze"
				return gosk.Snooze(time.Duration(rand.N(20)) * time.Millisecond)
			}
		case BehaveSlow:
			if !sleep(ctx, lease*3/2) {
				result = "ctx"
				return context.Cause(ctx)
			}
		}
		return nil
	}
	return worker.New(q, h, &worker.Config{
		Concurrency:  concurrency,
		Lease:        lease,
		PollInterval: 50 * time.Millisecond,
		Backoff:      func(int) time.Duration { return time.Duration(rand.N(20)) * time.Millisecond },
		Retention:    worker.NoRetention,
		OnEvent: func(e worker.Event) {
			out.line("ev", strconv.FormatInt(e.Task.ID, 10), strconv.Itoa(e.Task.Attempt), strconv.Itoa(int(e.Kind)))
		},
	})
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// retryStore calls f until it succeeds, up to ten times with a growing
// pause, saying on stderr why it tries again.
func retryStore[R any](ctx context.Context, what string, f func() (R, error)) (R, error) {
	for i := 1; ; i++ {
		r, err := f()
		if err == nil || i == 10 || ctx.Err() != nil {
			return r, err
		}
		fmt.Fprintf(os.Stderr, "crashtest child %d: %s failed (try %d): %v\n", os.Getpid(), what, i, err)
		time.Sleep(time.Duration(i) * 100 * time.Millisecond)
	}
}
