package worker_test

// Handler results that are odd values: a SnoozeError made by hand with a
// negative delay, and a nil pointer of an error type, whose Error method
// panics when the worker reads it; and a schedule's payload function
// that panics.

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivers/memory"
	"github.com/gosk/gosk/internal/testclock"
	"github.com/gosk/gosk/worker"
)

// TestNegativeSnoozeErrorSnoozesAtOnce checks that a SnoozeError with a
// negative delay, which Snooze would have made zero, snoozes the task
// for no time: the store refuses a release with a negative delay, and
// the task would have stayed leased until its lease ran out, its attempt
// used up.
func TestNegativeSnoozeErrorSnoozesAtOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	id := f.create(1, nil)[0]
	var ev events
	w, err := worker.New(f.q, func(context.Context, *gosk.Task[job]) error {
		return &gosk.SnoozeError{Delay: -time.Hour}
	}, &worker.Config{OnEvent: ev.add})
	require.NoError(t, err)
	require.NoError(t, w.Work(context.Background()))
	require.Equal(t, map[worker.EventKind]int{worker.EventSnoozed: 1}, ev.kinds())
	task := f.get(id)
	assert.Equal(t, gosk.StatePending, task.State, "the snoozed task is stored back as pending")
	assert.Zero(t, task.Attempt, "a snooze gives its attempt back")
	assert.False(t, task.RunAt.After(time.Now()), "a negative snooze delay counts as zero")
}

// nilDeref is an error type whose Error method reads its receiver, so
// that a nil *nilDeref returned as an error panics when read.
type nilDeref struct{ what string }

func (e *nilDeref) Error() string { return e.what }

// TestErrorThatPanicsWhenReadIsAPanic checks that a handler returning a
// nil pointer of an error type whose Error method panics has its task
// retried as for a panic, and that the worker goes on working: the text
// is read on the worker's own goroutines, where the panic once crashed
// the process.
func TestErrorThatPanicsWhenReadIsAPanic(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	id := f.create(1, &gosk.CreateOptions{MaxAttempts: 2})[0]
	var ev events
	w, err := worker.New(f.q, func(context.Context, *gosk.Task[job]) error {
		var e *nilDeref
		return e
	}, &worker.Config{OnEvent: ev.add})
	require.NoError(t, err)
	require.NoError(t, w.Work(context.Background()))
	require.Equal(t, map[worker.EventKind]int{worker.EventRetried: 1}, ev.kinds())
	var pe *worker.PanicError
	require.ErrorAs(t, ev.list()[0].Err, &pe, "the event carries a PanicError in the error's place")
	task := f.get(id)
	assert.Equal(t, gosk.StatePending, task.State)
	assert.Contains(t, task.LastError, "*worker_test.nilDeref", "the stored error names the error's type")
	assert.Contains(t, task.LastError, "panicked when read")
}

// TestDecideOddSnoozes pins the policy for snoozes the worker cannot
// take at their word: a negative delay is zero, and a nil *SnoozeError
// inside a wrapped error is an ordinary error.
func TestDecideOddSnoozes(t *testing.T) {
	info := worker.TaskInfo{ID: 7, Queue: "q", Attempt: 1, MaxAttempts: 3}
	ev := worker.Decide(info, &gosk.SnoozeError{Delay: -time.Minute}, nil)
	assert.Equal(t, worker.EventSnoozed, ev.Kind)
	assert.Zero(t, ev.Delay, "a negative snooze delay counts as zero")
	var nilSnooze *gosk.SnoozeError
	wrapped := fmt.Errorf("wrapped: %w", nilSnooze)
	require.NotPanics(t, func() { ev = worker.Decide(info, wrapped, nil) })
	assert.Equal(t, worker.EventRetried, ev.Kind, "a nil *SnoozeError is no snooze")
}

// TestSchedulePayloadPanicIsRunsError checks that a payload function
// that panics ends Schedule.Run with a *PanicError, as a payload that
// does not encode ends it with its error, instead of crashing the
// process from Run's goroutine.
func TestSchedulePayloadPanicIsRunsError(t *testing.T) {
	t.Parallel()
	_, q := newScheduleQueue(t)
	clk := testclock.New(minute0.Add(30 * time.Second))
	payload := func(slot time.Time) string {
		if slot.After(minute0) {
			panic("no payload for " + slot.String())
		}
		return "" // NewSchedule's check of the options, at the epoch
	}
	s, err := worker.NewSchedule(q, "s", worker.Every(time.Minute), payload,
		&worker.ScheduleConfig{Clock: clk.Now, Missed: worker.MissedSkip})
	require.NoError(t, err)
	_, err = runSchedule(t, s, clk, 3)
	var pe *worker.PanicError
	require.ErrorAs(t, err, &pe, "Run returns the payload's panic as an error")
	assert.Contains(t, err.Error(), "no payload for")
	assert.Contains(t, err.Error(), `schedule "s"`)
}

// touchy is a payload whose UnmarshalJSON panics on a payload it does not
// expect.
type touchy struct{ N int }

func (t *touchy) UnmarshalJSON(b []byte) error {
	if string(b) == `"boom"` {
		panic("touchy: cannot read " + string(b))
	}
	t.N = len(b)
	return nil
}

// TestPayloadWhoseDecodingPanicsFailsItsTask checks that a claimed task
// whose payload makes decoding panic counts as a handler error, as one
// that does not decode does, without calling the handler: the worker
// decodes on its claiming goroutine, where the panic once ended the
// process, and the next process claimed the same task and ended too.
func TestPayloadWhoseDecodingPanicsFailsItsTask(t *testing.T) {
	t.Parallel()
	mem := memory.New(nil)
	t.Cleanup(func() { _ = mem.Close() })
	q, err := gosk.NewQueue[touchy](mem, "touchy", nil)
	require.NoError(t, err)
	ctx := context.Background()
	res, err := mem.Create(ctx, []driver.NewTask{{Queue: "touchy", Payload: []byte(`"boom"`), MaxAttempts: 1}})
	require.NoError(t, err)
	var called atomic.Bool
	var ev events
	w, err := worker.New(q, func(context.Context, *gosk.Task[touchy]) error {
		called.Store(true)
		return nil
	}, &worker.Config{OnEvent: ev.add})
	require.NoError(t, err)
	require.NoError(t, w.Work(ctx))
	assert.False(t, called.Load(), "the handler is not called for a payload that does not decode")
	require.Equal(t, map[worker.EventKind]int{worker.EventFailed: 1}, ev.kinds())
	rec, err := mem.Get(ctx, res[0].ID)
	require.NoError(t, err)
	assert.Equal(t, driver.StateFailed, rec.State)
	assert.Contains(t, rec.LastError, "the codec panicked: touchy: cannot read")
}

// TestScheduleOfCenturiesIsRefusedOrRuns checks the schedules whose slots
// lie decades apart: an interval over MaxEvery, or a ClockSkew over
// MaxClockSkew, is refused when the schedule is built, and one of
// MaxEvery takes its slot of 1970, whose slot before (1870) no store
// keeps, instead of failing at Run.
func TestScheduleOfCenturiesIsRefusedOrRuns(t *testing.T) {
	t.Parallel()
	d, q := newScheduleQueue(t)
	_, err := worker.NewSchedule(q, "s", worker.Every(worker.MaxEvery+time.Microsecond), nil, nil)
	require.ErrorIs(t, err, gosk.ErrInvalid)
	assert.ErrorContains(t, err, "MaxEvery")
	_, err = worker.NewSchedule(q, "s", worker.Every(time.Hour), nil, &worker.ScheduleConfig{ClockSkew: worker.MaxClockSkew + 1})
	require.ErrorIs(t, err, gosk.ErrInvalid)
	assert.ErrorContains(t, err, "ScheduleConfig.ClockSkew")

	clk := testclock.New(minute0)
	s, err := worker.NewSchedule(q, "s", worker.Every(worker.MaxEvery), slotPayload, &worker.ScheduleConfig{Clock: clk.Now})
	require.NoError(t, err)
	_, err = runSchedule(t, s, clk, 0)
	require.NoError(t, err, "Run returns nil once its context is done")
	assert.Equal(t, []time.Time{time.Unix(0, 0).UTC()}, slotTasks(t, d, q), "the slot of 1970, the last at or before now, is run")
}
