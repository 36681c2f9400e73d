package worker_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/drivers/memory"
	"github.com/gosk/gosk/worker"
)

// step is what a handler does on one run of a task.
type step int

const (
	stepComplete step = iota
	stepError
	stepPanic
	stepCancel
	stepSnooze
)

// expect is the model's verdict on a task after its script.
type expect struct {
	state     gosk.State
	attempt   int
	lastError string
}

// model plays a script against the rules of the worker: nil completes,
// ErrCancelTask cancels, a snooze gives the attempt back, an error or a
// panic uses the attempt and fails the task on its last one. A script
// that runs out completes.
func model(script []step, maxAttempts int) expect {
	used := 0
	last := ""
	for i := 0; ; i++ {
		s := stepComplete
		if i < len(script) {
			s = script[i]
		}
		switch s {
		case stepComplete:
			return expect{gosk.StateCompleted, used + 1, last}
		case stepCancel:
			return expect{gosk.StateCancelled, used + 1, fmt.Sprintf("run %d: %v", i, gosk.ErrCancelTask)}
		case stepSnooze:
			continue
		case stepError, stepPanic:
			used++
			last = fmt.Sprintf("run %d", i)
			if s == stepPanic {
				last = "panic: " + last
			}
			if used >= maxAttempts {
				return expect{gosk.StateFailed, used, last}
			}
		}
	}
}

// TestHandlerResultsFollowTheModel runs random scripts of handler results
// through a worker and checks every task's final state, attempt count and
// last error against the model.
func TestHandlerResultsFollowTheModel(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(rt *rapid.T) {
		d := memory.New(nil)
		defer d.Close()
		q, err := gosk.NewQueue[int](d, "model", nil)
		if err != nil {
			rt.Fatal(err)
		}
		ctx := context.Background()
		n := rapid.IntRange(1, 8).Draw(rt, "tasks")
		scripts := map[int64][]step{}
		maxAttempts := map[int64]int{}
		for i := range n {
			script := rapid.SliceOfN(rapid.SampledFrom([]step{stepComplete, stepError, stepPanic, stepCancel, stepSnooze}), 0, 6).Draw(rt, fmt.Sprintf("script%d", i))
			ma := rapid.IntRange(1, 4).Draw(rt, fmt.Sprintf("maxAttempts%d", i))
			id, err := q.Create(ctx, i, &gosk.CreateOptions{MaxAttempts: ma})
			if err != nil {
				rt.Fatal(err)
			}
			scripts[id], maxAttempts[id] = script, ma
		}
		var mu sync.Mutex
		runs := map[int64]int{}
		w, err := worker.New(q, func(_ context.Context, task *gosk.Task[int]) error {
			mu.Lock()
			i := runs[task.ID]
			runs[task.ID]++
			mu.Unlock()
			s := stepComplete
			if script := scripts[task.ID]; i < len(script) {
				s = script[i]
			}
			switch s {
			case stepError:
				return fmt.Errorf("run %d", i)
			case stepPanic:
				panic(fmt.Sprintf("run %d", i))
			case stepCancel:
				return fmt.Errorf("run %d: %w", i, gosk.ErrCancelTask)
			case stepSnooze:
				return gosk.Snooze(0)
			}
			return nil
		}, &worker.Config{
			Concurrency: rapid.IntRange(1, 4).Draw(rt, "concurrency"),
			Backoff:     func(int) time.Duration { return 0 },
		})
		if err != nil {
			rt.Fatal(err)
		}
		for rounds := 0; ; rounds++ {
			err := w.Work(ctx)
			if errors.Is(err, worker.ErrNoTask) {
				break
			}
			if err != nil {
				rt.Fatal(err)
			}
			if rounds > 1000 {
				rt.Fatal("the tasks never ended")
			}
		}
		for id, script := range scripts {
			want := model(script, maxAttempts[id])
			task, err := q.Get(ctx, id)
			if err != nil {
				rt.Fatal(err)
			}
			if task.State != want.state || task.Attempt != want.attempt || task.LastError != want.lastError {
				rt.Fatalf("task %d, script %v, max attempts %d: got %s, attempt %d, last error %q; model says %s, attempt %d, last error %q",
					id, script, maxAttempts[id], task.State, task.Attempt, task.LastError, want.state, want.attempt, want.lastError)
			}
		}
	})
}
