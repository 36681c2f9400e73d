package worker_test

// Handler results: the outcome each result stores, and what wraps the
// handler (middleware, panics, timeouts, context values).

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/worker"
)

func TestCancelTaskCancels(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	id := f.create(1, nil)[0]
	var ev events
	w, err := worker.New(f.q, func(context.Context, *gosk.Task[job]) error {
		return fmt.Errorf("image is empty: %w", gosk.ErrCancelTask)
	}, &worker.Config{OnEvent: ev.add})
	require.NoError(t, err)
	stop := start(t, w)
	require.Eventually(t, func() bool { return f.get(id).State == gosk.StateCancelled }, wait, tick)
	require.NoError(t, stop())
	task := f.get(id)
	assert.Equal(t, 1, task.Attempt)
	assert.Contains(t, task.LastError, "image is empty")
	assert.Equal(t, map[worker.EventKind]int{worker.EventCancelled: 1}, ev.kinds())
}

func TestErrorsRetryWithBackoffThenFail(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	id := f.create(1, &gosk.CreateOptions{MaxAttempts: 3})[0]
	var mu sync.Mutex
	var backoffs []int
	var ev events
	w, err := worker.New(f.q, func(_ context.Context, task *gosk.Task[job]) error {
		return fmt.Errorf("boom %d", task.Attempt)
	}, &worker.Config{
		PollInterval: 5 * time.Millisecond,
		OnEvent:      ev.add,
		Backoff: func(attempt int) time.Duration {
			mu.Lock()
			defer mu.Unlock()
			backoffs = append(backoffs, attempt)
			return 0
		},
	})
	require.NoError(t, err)
	stop := start(t, w)
	require.Eventually(t, func() bool { return f.get(id).State == gosk.StateFailed }, wait, tick)
	require.NoError(t, stop())
	task := f.get(id)
	assert.Equal(t, 3, task.Attempt)
	assert.Equal(t, "boom 3", task.LastError)
	assert.Equal(t, []int{1, 2}, backoffs, "back-off asked for each retry, not for the last attempt")
	assert.Equal(t, map[worker.EventKind]int{worker.EventRetried: 2, worker.EventFailed: 1}, ev.kinds())
}

func TestBackoffDelaysTheRetry(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	id := f.create(1, nil)[0]
	var ev events
	w, err := worker.New(f.q, func(context.Context, *gosk.Task[job]) error {
		return errors.New("try later")
	}, &worker.Config{OnEvent: ev.add, Backoff: func(int) time.Duration { return time.Hour }})
	require.NoError(t, err)
	before := time.Now()
	stop := start(t, w)
	require.Eventually(t, func() bool { return len(ev.list()) == 1 }, wait, tick)
	require.NoError(t, stop())
	task := f.get(id)
	assert.Equal(t, gosk.StatePending, task.State)
	assert.Equal(t, 1, task.Attempt)
	assert.Equal(t, "try later", task.LastError)
	assert.True(t, task.RunAt.After(before.Add(59*time.Minute)), "run-at %v", task.RunAt)
	assert.Equal(t, time.Hour, ev.list()[0].Delay)
}

func TestPanicIsRecoveredAndItsStackLogged(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	id := f.create(1, &gosk.CreateOptions{MaxAttempts: 1})[0]
	logger, logs := newLogger()
	var ev events
	w, err := worker.New(f.q, func(context.Context, *gosk.Task[job]) error {
		panic("kaboom")
	}, &worker.Config{Logger: logger, OnEvent: ev.add})
	require.NoError(t, err)
	stop := start(t, w)
	require.Eventually(t, func() bool { return f.get(id).State == gosk.StateFailed }, wait, tick)
	require.NoError(t, stop())
	assert.Equal(t, "panic: kaboom", f.get(id).LastError)
	assert.Contains(t, logs.String(), "handler panicked")
	assert.Contains(t, logs.String(), "worker_test.TestPanicIsRecoveredAndItsStackLogged", "the stack names the panicking function")
	var pe *worker.PanicError
	require.ErrorAs(t, ev.list()[0].Err, &pe)
	assert.Equal(t, "kaboom", pe.Value)
}

func TestSnoozeGivesTheAttemptBack(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	now := f.create(1, nil)[0]
	later := f.create(1, nil)[0]
	var calls sync.Map
	var ev events
	w, err := worker.New(f.q, func(_ context.Context, task *gosk.Task[job]) error {
		n, _ := calls.LoadOrStore(task.ID, new(atomic.Int64))
		switch {
		case task.ID == later:
			n.(*atomic.Int64).Add(1)
			return gosk.Snooze(time.Hour)
		case n.(*atomic.Int64).Add(1) == 1:
			return fmt.Errorf("not yet: %w", gosk.Snooze(0))
		}
		return nil
	}, &worker.Config{OnEvent: ev.add, PollInterval: 5 * time.Millisecond})
	require.NoError(t, err)
	stop := start(t, w)
	require.Eventually(t, func() bool { return f.get(now).State == gosk.StateCompleted }, wait, tick)
	require.Eventually(t, func() bool { return ev.kinds()[worker.EventSnoozed] == 2 }, wait, tick)
	require.NoError(t, stop())
	assert.Equal(t, 1, f.get(now).Attempt, "the snoozed run gave its attempt back")
	task := f.get(later)
	assert.Equal(t, gosk.StatePending, task.State)
	assert.Equal(t, 0, task.Attempt)
	assert.Empty(t, task.LastError, "a snooze is not an error")
	assert.True(t, task.RunAt.After(time.Now().Add(59*time.Minute)))
}

func TestUndecodablePayloadCountsAsAnError(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	res, err := f.mem.Create(context.Background(), []driver.NewTask{{Queue: "jobs", Payload: []byte("{not json"), MaxAttempts: 1}})
	require.NoError(t, err)
	var called atomic.Bool
	w, err := worker.New(f.q, func(context.Context, *gosk.Task[job]) error {
		called.Store(true)
		return nil
	}, nil)
	require.NoError(t, err)
	require.NoError(t, w.Work(context.Background()))
	assert.False(t, called.Load())
	task, err := f.mem.Get(context.Background(), res[0].ID)
	require.NoError(t, err)
	assert.Equal(t, gosk.StateFailed, task.State)
	assert.Contains(t, task.LastError, "decode payload")
}

func TestLongErrorTextIsBoundedAndValid(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	id := f.create(1, &gosk.CreateOptions{MaxAttempts: 1})[0]
	w, err := worker.New(f.q, func(context.Context, *gosk.Task[job]) error {
		return errors.New(strings.Repeat("é", driver.MaxMessageLen) + "\xff")
	}, nil)
	require.NoError(t, err)
	require.NoError(t, w.Work(context.Background()))
	msg := f.get(id).LastError
	assert.LessOrEqual(t, len(msg), driver.MaxMessageLen)
	assert.Greater(t, len(msg), driver.MaxMessageLen-utf8.UTFMax, "cut at the limit, not below")
	assert.True(t, strings.HasPrefix(msg, "éé"))
	assert.NotContains(t, msg, "\xff")
}

func TestHandlerTimeoutCancelsARunThatTakesTooLong(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	id := f.create(1, &gosk.CreateOptions{MaxAttempts: 1})[0]
	w, err := worker.New(f.q, func(ctx context.Context, _ *gosk.Task[job]) error {
		<-ctx.Done()
		return context.Cause(ctx)
	}, &worker.Config{HandlerTimeout: 10 * time.Millisecond})
	require.NoError(t, err)
	require.NoError(t, w.Work(context.Background()))
	task := f.get(id)
	assert.Equal(t, gosk.StateFailed, task.State)
	assert.Equal(t, worker.ErrHandlerTimeout.Error(), task.LastError)
}

func TestMiddlewareWrapsTheHandlerInOrder(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	id := f.create(1, &gosk.CreateOptions{Priority: 7, MaxAttempts: 4})[0]
	var mu sync.Mutex
	var trace []string
	record := func(s string) {
		mu.Lock()
		defer mu.Unlock()
		trace = append(trace, s)
	}
	type key struct{}
	mw := func(name string) worker.Middleware {
		return func(ctx context.Context, info worker.TaskInfo, next func(context.Context) error) error {
			record(fmt.Sprintf("%s in %d/%d p%d %s", name, info.Attempt, info.MaxAttempts, info.Priority, info.Queue))
			err := next(context.WithValue(ctx, key{}, name))
			record(fmt.Sprintf("%s out %v", name, err))
			return err
		}
	}
	var ev events
	w, err := worker.New(f.q, func(ctx context.Context, _ *gosk.Task[job]) error {
		record(fmt.Sprintf("handler sees %v", ctx.Value(key{})))
		return nil
	}, &worker.Config{Middleware: []worker.Middleware{mw("outer"), mw("inner")}, OnEvent: ev.add})
	require.NoError(t, err)
	stop := start(t, w)
	require.Eventually(t, func() bool { return len(ev.list()) == 1 }, wait, tick)
	require.NoError(t, stop())
	assert.Equal(t, []string{
		"outer in 1/4 p7 jobs", "inner in 1/4 p7 jobs", "handler sees inner", "inner out <nil>", "outer out <nil>",
	}, trace)
	e := ev.list()[0]
	assert.Equal(t, worker.EventCompleted, e.Kind)
	assert.Equal(t, id, e.Task.ID)
	assert.NoError(t, e.Err)
}

func TestHandlerContextKeepsRunValues(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	f.create(1, nil)
	type key struct{}
	got := make(chan any, 1)
	w, err := worker.New(f.q, func(ctx context.Context, _ *gosk.Task[job]) error {
		got <- ctx.Value(key{})
		return nil
	}, nil)
	require.NoError(t, err)
	require.NoError(t, w.Work(context.WithValue(context.Background(), key{}, "v")))
	assert.Equal(t, "v", <-got)
}
