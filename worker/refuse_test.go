package worker_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivers/memory"
	"github.com/gosk/gosk/worker"
)

// faulty wraps a memory driver and injects the store failures that the
// finisher must tell apart: a Finish call naming a task in refuse fails
// with that task's error (a store that will not take one outcome), and
// while down every Claim, Ping and Finish fails (an outage).
type faulty struct {
	*memory.Driver

	mu     sync.Mutex
	down   bool
	refuse map[int64]error
	named  map[int64][]int // the sizes of the Finish calls naming each task
	failed int             // Finish calls that failed
}

func newFaulty(t *testing.T, clock func() time.Time) (*faulty, *gosk.Queue[job]) {
	t.Helper()
	mem := memory.New(&memory.Options{Clock: clock})
	t.Cleanup(func() { _ = mem.Close() })
	f := &faulty{Driver: mem, refuse: map[int64]error{}, named: map[int64][]int{}}
	q, err := gosk.NewQueue[job](f, "jobs", nil)
	require.NoError(t, err)
	return f, q
}

func (f *faulty) Claim(ctx context.Context, p driver.ClaimParams) ([]driver.ClaimedTask, error) {
	f.mu.Lock()
	down := f.down
	f.mu.Unlock()
	if down {
		return nil, errStore
	}
	return f.Driver.Claim(ctx, p)
}

func (f *faulty) Ping(ctx context.Context, l []driver.Lease, extend time.Duration) ([]error, error) {
	f.mu.Lock()
	down := f.down
	f.mu.Unlock()
	if down {
		return nil, errStore
	}
	return f.Driver.Ping(ctx, l, extend)
}

func (f *faulty) Finish(ctx context.Context, o []driver.Outcome) ([]error, error) {
	f.mu.Lock()
	err := errStore
	if !f.down {
		err = nil
	}
	for _, out := range o {
		f.named[out.Lease.TaskID] = append(f.named[out.Lease.TaskID], len(o))
		if r := f.refuse[out.Lease.TaskID]; r != nil && err == nil {
			err = r
		}
	}
	if err != nil {
		f.failed++
	}
	f.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return f.Driver.Finish(ctx, o)
}

func (f *faulty) set(fn func(f *faulty)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func (f *faulty) calls(id int64) []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]int(nil), f.named[id]...)
}

func (f *faulty) failures() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.failed
}

// eightTogether is a handler for eight tasks that returns only once all
// eight are running, so that their outcomes reach the finisher together
// and are gathered into one batch.
func eightTogether() worker.Handler[job] {
	var started sync.WaitGroup
	started.Add(8)
	return func(ctx context.Context, _ *gosk.Task[job]) error {
		started.Done()
		started.Wait()
		return nil
	}
}

// refusedOnce runs eight tasks in one Work call, the store refusing the
// outcome of one of them with refusal, and checks that the other seven are
// stored, that the refused one is given up (logged at Error level, an
// EventNotStored saying why) after at most maxCalls Finish calls naming
// it, and that its task runs again once its lease has run out.
func refusedOnce(t *testing.T, refusal error, maxCalls int) {
	t.Helper()
	clk := newClock()
	f, q := newFaulty(t, clk.Now)
	ids := make([]int64, 8)
	for i := range ids {
		id, err := q.Create(context.Background(), job{N: i}, nil)
		require.NoError(t, err)
		ids[i] = id
	}
	bad := ids[3]
	f.set(func(f *faulty) { f.refuse[bad] = refusal })
	var ev events
	logger, logs := newLogger()
	w, err := worker.New(q, eightTogether(), &worker.Config{
		Concurrency: 8, FinishBatch: 8, FinishWindow: time.Second, Lease: wait,
		Logger: logger, OnEvent: ev.add, Retention: worker.NoRetention,
	})
	require.NoError(t, err)

	// The lease runs on the fake clock; in real time it bounds how long
	// Work may spend storing after its context ends.
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	err = w.Work(ctx)
	require.NoError(t, ctx.Err(), "Work ends well before its deadline: the refusal is not retried for ever")
	require.Error(t, err, "Work says that an outcome was not stored")
	assert.Contains(t, err.Error(), "1 task outcomes not stored")
	assert.Equal(t, map[worker.EventKind]int{worker.EventCompleted: 7, worker.EventNotStored: 1}, ev.kinds(),
		"the refused outcome holds back none of the others")
	for _, e := range ev.list() {
		if e.Kind == worker.EventNotStored {
			assert.Equal(t, bad, e.Task.ID, "the refused outcome is the one given up")
			assert.ErrorIs(t, e.Err, refusal, "the event says why")
			assert.Contains(t, e.Err.Error(), "refused")
		}
	}
	for _, id := range ids {
		want := gosk.StateCompleted
		if id == bad {
			want = gosk.StateRunning
		}
		task, err := q.Get(context.Background(), id)
		require.NoError(t, err)
		assert.Equal(t, want, task.State, "task %d", id)
	}
	calls := f.calls(bad)
	require.NotEmpty(t, calls)
	assert.Greater(t, calls[0], 1, "the refused outcome was first tried in a batch with others")
	assert.Equal(t, 1, calls[len(calls)-1], "then on its own")
	assert.LessOrEqual(t, len(calls), maxCalls, "a refusal is not retried for ever: %v", calls)
	assert.Contains(t, logs.String(), "level=ERROR msg=\"gosk: the store refused the outcome")
	assert.Contains(t, logs.String(), refusal.Error())

	// Its lease runs out and the store hands the task out again.
	f.set(func(f *faulty) { delete(f.refuse, bad) })
	clk.Add(2 * wait)
	var again events
	w, err = worker.New(q, ok, &worker.Config{OnEvent: again.add, Retention: worker.NoRetention})
	require.NoError(t, err)
	require.NoError(t, w.Work(context.Background()))
	task, err := q.Get(context.Background(), bad)
	require.NoError(t, err)
	assert.Equal(t, gosk.StateCompleted, task.State, "the task ran again after its lease ran out")
	assert.Equal(t, 2, task.Attempt)
}

// A store that refuses one outcome of a batch with ErrInvalid: the batch
// is split at once, the others are stored, and the refused outcome is
// tried on its own once and given up.
func TestAnOutcomeRefusedAsInvalidIsGivenUpAlone(t *testing.T) {
	t.Parallel()
	refusedOnce(t, fmt.Errorf("%w: store: cannot hold this message", driver.ErrInvalid), 2)
}

// A store that fails every call naming one outcome with an error of its
// own (a driver that does not validate): the batch is split after a few
// tries, the others are stored, and the outcome that keeps failing while
// the store takes the others is given up after a few tries on its own.
func TestAnOutcomeThatAloneKeepsFailingIsGivenUp(t *testing.T) {
	t.Parallel()
	refusedOnce(t, errors.New("store: invalid byte sequence"), 10)
}

// An outage of the whole store is not a refusal: however many times the
// outcomes fail, while nothing else succeeds either, they are retried,
// and stored once the store is back.
func TestAnOutageIsRetriedNotRefused(t *testing.T) {
	t.Parallel()
	f, q := newFaulty(t, nil)
	ids := make([]int64, 8)
	for i := range ids {
		id, err := q.Create(context.Background(), job{N: i}, nil)
		require.NoError(t, err)
		ids[i] = id
	}
	var started sync.WaitGroup
	started.Add(8)
	var ev events
	logger, logs := newLogger()
	w, err := worker.New(q, func(ctx context.Context, _ *gosk.Task[job]) error {
		started.Done()
		started.Wait()
		// The store goes down while the handlers run: nothing is stored
		// and no ping or claim gets through.
		f.set(func(f *faulty) { f.down = true })
		return nil
	}, &worker.Config{
		Concurrency: 8, FinishBatch: 8, Lease: time.Minute, PingInterval: 5 * time.Millisecond,
		PollInterval: 5 * time.Millisecond, Logger: logger, OnEvent: ev.add, Retention: worker.NoRetention,
	})
	require.NoError(t, err)
	stop := start(t, w)
	// The batch fails three times, then each outcome six times on its
	// own: more than the five that make a refusal while the store answers.
	require.Eventually(t, func() bool { return f.failures() >= 3+8*6 }, wait, tick,
		"the outcomes fail on their own more times than a refusal takes")
	assert.Empty(t, ev.kinds(), "an outage gives up nothing while the worker runs")
	f.set(func(f *faulty) { f.down = false })
	require.Eventually(t, func() bool { return len(ev.list()) == 8 }, wait, tick)
	require.NoError(t, stop())
	assert.Equal(t, map[worker.EventKind]int{worker.EventCompleted: 8}, ev.kinds())
	assert.NotContains(t, logs.String(), "refused")
	assert.True(t, strings.Contains(logs.String(), "storing them one by one"), "the failing batch was split")
}
