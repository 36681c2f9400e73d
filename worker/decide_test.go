package worker_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/worker"
)

// TestDecide pins the exported outcome policy to the rules of Handler
// results in the package doc.
func TestDecide(t *testing.T) {
	backoff := func(attempt int) time.Duration { return time.Duration(attempt) * time.Minute }
	boom := errors.New("boom")
	cases := []struct {
		name    string
		attempt int
		err     error
		kind    worker.EventKind
		delay   time.Duration
	}{
		{"nil completes", 1, nil, worker.EventCompleted, 0},
		{"ErrCancelTask cancels", 1, gosk.ErrCancelTask, worker.EventCancelled, 0},
		{"wrapped ErrCancelTask cancels", 3, fmt.Errorf("bad input: %w", gosk.ErrCancelTask), worker.EventCancelled, 0},
		{"Snooze snoozes for its delay", 1, gosk.Snooze(time.Hour), worker.EventSnoozed, time.Hour},
		{"Snooze on the last attempt still snoozes", 3, gosk.Snooze(time.Second), worker.EventSnoozed, time.Second},
		{"an error retries after the back-off", 2, boom, worker.EventRetried, 2 * time.Minute},
		{"an error on the last attempt fails", 3, boom, worker.EventFailed, 0},
		{"a panic retries", 1, &worker.PanicError{Value: "oops"}, worker.EventRetried, time.Minute},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			info := worker.TaskInfo{ID: 7, Queue: "q", Attempt: c.attempt, MaxAttempts: 3}
			ev := worker.Decide(info, c.err, backoff)
			require.Equal(t, c.kind, ev.Kind)
			require.Equal(t, c.delay, ev.Delay)
			require.Equal(t, info, ev.Task)
			require.Equal(t, c.err, ev.Err)
		})
	}
}

// TestDecideDefaultBackoff checks that a nil backoff means
// DefaultBackoff: its delay after a first attempt lies in
// [BackoffBase/2, BackoffBase].
func TestDecideDefaultBackoff(t *testing.T) {
	ev := worker.Decide(worker.TaskInfo{Attempt: 1, MaxAttempts: 5}, errors.New("boom"), nil)
	require.Equal(t, worker.EventRetried, ev.Kind)
	require.GreaterOrEqual(t, ev.Delay, worker.BackoffBase/2)
	require.LessOrEqual(t, ev.Delay, worker.BackoffBase)
}
