package gosktest

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/worker"
)

// MaxDrainRounds is the most Worker.Work calls one Drain makes before it
// fails the test, so that a handler that snoozes for no time, or a queue
// that the code under test keeps filling, cannot hold the test for ever.
// Each round handles up to Config.Concurrency tasks.
const MaxDrainRounds = 10000

// Drained counts the task runs of one Drain by how they ended (see
// worker.EventKind).
type Drained struct {
	// Completed counts runs whose task was completed.
	Completed int
	// Cancelled counts runs whose task was cancelled.
	Cancelled int
	// Failed counts runs whose task failed on its last attempt.
	Failed int
	// Retried counts runs whose task was released for a retry.
	Retried int
	// Snoozed counts runs whose task was snoozed.
	Snoozed int
	// LeaseLost counts runs whose lease was lost, for instance because
	// the task was cancelled from outside while it ran.
	LeaseLost int
}

// Drain runs a worker built by worker.New(q, h, cfg) over q until no task
// is available (Worker.Work returns worker.ErrNoTask), and returns how the
// runs ended. cfg may be nil; its OnEvent, if set, is still called. Tasks
// that come back available at once (a retry with a zero back-off, a
// snooze of zero) are run again within the same Drain; those that wait
// stay pending.
//
// Drain fails the test if the worker cannot be built, if an outcome
// could not be stored (worker.EventNotStored) or Work returns another
// error, and after MaxDrainRounds rounds.
func Drain[T any](t testing.TB, q *gosk.Queue[T], h worker.Handler[T], cfg *worker.Config) Drained {
	t.Helper()
	var c worker.Config
	if cfg != nil {
		c = *cfg
	}
	var (
		mu        sync.Mutex
		counts    Drained
		notStored []string
	)
	userHook := c.OnEvent
	c.OnEvent = func(ev worker.Event) {
		mu.Lock()
		switch ev.Kind {
		case worker.EventCompleted:
			counts.Completed++
		case worker.EventCancelled:
			counts.Cancelled++
		case worker.EventFailed:
			counts.Failed++
		case worker.EventRetried:
			counts.Retried++
		case worker.EventSnoozed:
			counts.Snoozed++
		case worker.EventLeaseLost:
			counts.LeaseLost++
		default: // EventNotStored, and EventReleased, which only a shutdown makes
			notStored = append(notStored, fmt.Sprintf("task %d (attempt %d): %v: %v", ev.Task.ID, ev.Task.Attempt, ev.Kind, ev.Err))
		}
		mu.Unlock()
		if userHook != nil {
			userHook(ev)
		}
	}
	w, err := worker.New(q, h, &c)
	if err != nil {
		t.Fatalf("gosktest: Drain: %v", err)
		return Drained{}
	}
	for round := 1; ; round++ {
		err := w.Work(t.Context())
		mu.Lock()
		bad := append([]string(nil), notStored...)
		mu.Unlock()
		if len(bad) > 0 {
			t.Fatalf("gosktest: Drain of queue %q: %d outcome(s) not stored:\n\t%s\n(Work: %v)", q.Name(), len(bad), strings.Join(bad, "\n\t"), err)
			return Drained{}
		}
		if errors.Is(err, worker.ErrNoTask) {
			break
		}
		if err != nil {
			t.Fatalf("gosktest: Drain of queue %q: %v", q.Name(), err)
			return Drained{}
		}
		if round == MaxDrainRounds {
			t.Fatalf("gosktest: Drain of queue %q: tasks still available after %d rounds of Work; does a handler snooze for no time, or the queue keep filling?", q.Name(), MaxDrainRounds)
			return Drained{}
		}
	}
	mu.Lock()
	defer mu.Unlock()
	return counts
}
