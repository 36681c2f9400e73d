package worker

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivers/memory"
)

// These tests drive a finisher on its own: attempts are claimed from a
// memory driver and held in a ledger, as the claim loop does, and the
// test plays the handlers, sending their results.

// finishRecorder is a memory driver that records the size of every
// Finish call, and fails those that refuse says to fail.
type finishRecorder struct {
	*memory.Driver

	mu     sync.Mutex
	sizes  []int
	refuse func(o []driver.Outcome) error
}

func (d *finishRecorder) Finish(ctx context.Context, o []driver.Outcome) ([]error, error) {
	d.mu.Lock()
	d.sizes = append(d.sizes, len(o))
	refuse := d.refuse
	d.mu.Unlock()
	if refuse != nil {
		if err := refuse(o); err != nil {
			return nil, err
		}
	}
	return d.Driver.Finish(ctx, o)
}

func (d *finishRecorder) calls() []int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.sizes)
}

// finishFixture is a finisher over a recorded memory driver, with the
// events it reports.
type finishFixture struct {
	t    *testing.T
	drv  *finishRecorder
	runs *ledger[int]
	fin  *finisher[int]

	mu     sync.Mutex
	events []Event
}

func newFinishFixture(t *testing.T, cfg Config) *finishFixture {
	t.Helper()
	cfg, err := cfg.fill()
	require.NoError(t, err)
	mem := memory.New(nil)
	t.Cleanup(func() { _ = mem.Close() })
	x := &finishFixture{
		t:    t,
		drv:  &finishRecorder{Driver: mem},
		runs: newLedger[int](),
	}
	x.fin = &finisher[int]{
		drv:    x.drv,
		cfg:    cfg,
		log:    cfg.Logger,
		runs:   x.runs,
		health: newHealth(),
		dues:   newDueTracker(),
		report: func(_ *attempt[int], ev Event) {
			x.mu.Lock()
			defer x.mu.Unlock()
			x.events = append(x.events, ev)
		},
	}
	return x
}

// claim creates n tasks with maxAttempts each, claims them and holds an
// attempt of each, its handler running.
func (x *finishFixture) claim(n, maxAttempts int) []*attempt[int] {
	x.t.Helper()
	ctx := context.Background()
	news := make([]driver.NewTask, n)
	for i := range news {
		news[i] = driver.NewTask{Queue: "q", MaxAttempts: maxAttempts}
	}
	_, err := x.drv.Create(ctx, news)
	require.NoError(x.t, err)
	claimed, err := x.drv.Claim(ctx, driver.ClaimParams{Queue: "q", Limit: n, Rule: driver.Fifo, Lease: time.Minute})
	require.NoError(x.t, err)
	require.Len(x.t, claimed, n)
	as := make([]*attempt[int], n)
	for i, ct := range claimed {
		_, cancel := context.WithCancelCause(ctx)
		x.t.Cleanup(func() { cancel(nil) })
		as[i] = &attempt[int]{lease: ct.Lease, cancel: cancel, info: TaskInfo{
			ID: ct.Task.ID, Queue: ct.Task.Queue, Attempt: ct.Task.Attempt, MaxAttempts: ct.Task.MaxAttempts,
		}}
		x.runs.hold(as[i], false)
	}
	return as
}

// send plays a's handler returning err.
func (x *finishFixture) send(a *attempt[int], err error) {
	x.runs.returned(a)
	x.runs.put(result[int]{a: a, err: err})
}

// run runs the finisher until the returned stop, which closes its inbox
// (every handler has returned) and waits for it to return.
func (x *finishFixture) run(giveUp context.Context) (stop func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		x.fin.run(giveUp)
	}()
	return func() {
		x.runs.closeInbox()
		<-done
	}
}

func (x *finishFixture) kinds() []EventKind {
	x.mu.Lock()
	defer x.mu.Unlock()
	ks := make([]EventKind, len(x.events))
	for i, ev := range x.events {
		ks[i] = ev.Kind
	}
	return ks
}

func (x *finishFixture) record(id int64) driver.TaskRecord {
	x.t.Helper()
	rec, err := x.drv.Get(context.Background(), id)
	require.NoError(x.t, err)
	return rec
}

func TestFinisherStoresTheReadyOutcomesInOneCall(t *testing.T) {
	t.Parallel()
	x := newFinishFixture(t, Config{Concurrency: 5, Backoff: func(int) time.Duration { return 0 }})
	as := x.claim(5, 1)
	as = append(as, x.claim(1, 2)...) // one that may retry
	errs := []error{nil, gosk.ErrCancelTask, gosk.Snooze(time.Hour), errors.New("boom"), nil, errors.New("again")}
	for i, a := range as {
		x.send(a, errs[i])
	}
	x.run(context.Background())()

	assert.Equal(t, []int{5, 1}, x.drv.calls(), "the ready outcomes, up to Concurrency, in one call")
	assert.Equal(t, []EventKind{EventCompleted, EventCancelled, EventSnoozed, EventFailed, EventCompleted, EventRetried}, x.kinds())
	want := []driver.State{driver.StateCompleted, driver.StateCancelled, driver.StatePending, driver.StateFailed, driver.StateCompleted, driver.StatePending}
	for i, a := range as {
		assert.Equal(t, want[i], x.record(a.info.ID).State, "task %d", i)
	}
	_, ok := x.fin.dues.next(time.Now())
	assert.True(t, ok, "the retry's due time is known to the claim loop")
	assert.Zero(t, x.runs.held(), "every attempt reported")
	assert.NoError(t, x.fin.unstored.error())
}

func TestFinisherBoundsACallByFinishBatch(t *testing.T) {
	t.Parallel()
	x := newFinishFixture(t, Config{Concurrency: 10, FinishBatch: 2})
	for _, a := range x.claim(5, 1) {
		x.send(a, nil)
	}
	x.run(context.Background())()
	assert.Equal(t, []int{2, 2, 1}, x.drv.calls())
}

func TestFinisherWaitsForARunningHandlerWithinTheWindow(t *testing.T) {
	t.Parallel()
	x := newFinishFixture(t, Config{Concurrency: 2, Lease: time.Hour, FinishWindow: time.Minute})
	as := x.claim(2, 1)
	stop := x.run(context.Background())
	x.send(as[0], nil)
	// The second handler puts its result before it counts as returned,
	// so that the finisher sees one running throughout.
	x.runs.put(result[int]{a: as[1]})
	x.runs.returned(as[1])
	require.Eventually(t, func() bool { return len(x.kinds()) == 2 }, 10*time.Second, time.Millisecond)
	stop()
	assert.Equal(t, []int{2}, x.drv.calls(), "gathered while a handler ran")
}

func TestFinisherStoresWhatItHasWhenTheWindowEnds(t *testing.T) {
	t.Parallel()
	x := newFinishFixture(t, Config{Concurrency: 2, FinishWindow: time.Millisecond})
	as := x.claim(2, 1)
	stop := x.run(context.Background())
	x.send(as[0], nil)
	require.Eventually(t, func() bool { return len(x.kinds()) == 1 }, 10*time.Second, time.Millisecond,
		"stored once the window ended, though a handler still runs")
	x.send(as[1], nil)
	stop()
	assert.Equal(t, []int{1, 1}, x.drv.calls())
}

func TestFinisherDropsTheOutcomeOfALostLease(t *testing.T) {
	t.Parallel()
	x := newFinishFixture(t, Config{})
	as := x.claim(2, 1)
	require.True(t, x.runs.lose(as[0].lease, driver.ErrLeaseLost))
	x.send(as[0], nil)
	x.send(as[1], nil)
	x.run(context.Background())()
	assert.Equal(t, []int{1}, x.drv.calls(), "only the held lease's outcome is sent")
	assert.Equal(t, []EventKind{EventLeaseLost, EventCompleted}, x.kinds())
	assert.Equal(t, driver.StateRunning, x.record(as[0].info.ID).State)
}

func TestFinisherReleasesAShutDownAttemptKeepingItsAttempt(t *testing.T) {
	t.Parallel()
	x := newFinishFixture(t, Config{})
	as := x.claim(1, 1)
	assert.Equal(t, 1, x.runs.stop())
	x.send(as[0], ErrShutdown)
	x.run(context.Background())()
	assert.Equal(t, []EventKind{EventReleased}, x.kinds())
	rec := x.record(as[0].info.ID)
	assert.Equal(t, driver.StatePending, rec.State)
	assert.Zero(t, rec.Attempt, "the attempt given back")
}

func TestFinisherGivesUpWhenToldToAndNamesWhatItGaveUp(t *testing.T) {
	t.Parallel()
	x := newFinishFixture(t, Config{})
	errDown := errors.New("store is down")
	x.drv.refuse = func([]driver.Outcome) error { return errDown }
	as := x.claim(2, 1)
	x.send(as[0], nil)
	x.send(as[1], gosk.ErrCancelTask)
	giveUp, cancel := context.WithCancel(context.Background())
	cancel() // the shutdown has given up on the store
	x.run(giveUp)()
	assert.Equal(t, []EventKind{EventNotStored, EventNotStored}, x.kinds())
	err := x.fin.unstored.error()
	require.ErrorIs(t, err, errDown)
	assert.ErrorContains(t, err, fmt.Sprintf("2 task outcomes not stored (see EventNotStored): task %d completed, task %d cancelled", as[0].info.ID, as[1].info.ID))
	assert.Equal(t, driver.StateRunning, x.record(as[0].info.ID).State)
}

func TestFinisherStoresARefusedBatchOneByOne(t *testing.T) {
	t.Parallel()
	x := newFinishFixture(t, Config{})
	as := x.claim(3, 1)
	bad := as[1].lease
	x.drv.refuse = func(o []driver.Outcome) error {
		if slices.ContainsFunc(o, func(o driver.Outcome) bool { return o.Lease == bad }) {
			return fmt.Errorf("%w: not this one", driver.ErrInvalid)
		}
		return nil
	}
	for _, a := range as {
		x.send(a, nil)
	}
	x.run(context.Background())()
	assert.Equal(t, []int{3, 1, 1, 1}, x.drv.calls(), "the batch, then each alone")
	assert.Equal(t, []EventKind{EventCompleted, EventNotStored, EventCompleted}, x.kinds())
	x.mu.Lock()
	refusal := x.events[1].Err
	x.mu.Unlock()
	require.ErrorIs(t, refusal, driver.ErrInvalid)
	assert.ErrorContains(t, refusal, "the store refused the outcome")
	assert.Equal(t, driver.StateRunning, x.record(as[1].info.ID).State, "its lease runs out and it runs again")
	assert.ErrorContains(t, x.fin.unstored.error(), fmt.Sprintf("1 task outcomes not stored (see EventNotStored): task %d completed", as[1].info.ID))
}

func TestFinisherTakesAConflictAfterAFailedTryAsStored(t *testing.T) {
	t.Parallel()
	x := newFinishFixture(t, Config{})
	as := x.claim(1, 1)
	x.fin.drv = &answerDropper{finishRecorder: x.drv, drop: 1}
	x.send(as[0], nil)
	x.run(context.Background())()
	assert.Equal(t, []EventKind{EventCompleted}, x.kinds(), "the retry's ErrTaskConflict means the first call was stored")
	assert.Equal(t, driver.StateCompleted, x.record(as[0].info.ID).State)
}

// answerDropper stores Finish calls but answers the first drop of them
// with an error, as when the store's answer is lost on its way back. Only
// the finisher's goroutine calls it.
type answerDropper struct {
	*finishRecorder
	drop int
}

func (d *answerDropper) Finish(ctx context.Context, o []driver.Outcome) ([]error, error) {
	errs, err := d.finishRecorder.Finish(ctx, o)
	if err == nil && d.drop > 0 {
		d.drop--
		return nil, errors.New("answer lost")
	}
	return errs, err
}
