package worker_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivers/memory"
	"github.com/gosk/gosk/worker"
)

// gate holds every handler that enters it until the test lets it go.
type gate struct {
	mu   sync.Mutex
	held map[string][]chan struct{} // by queue, oldest first
}

func newGate() *gate { return &gate{held: map[string][]chan struct{}{}} }

// enter blocks the calling handler of queue until let or ctx.
func (g *gate) enter(ctx context.Context, queue string) error {
	c := make(chan struct{})
	g.mu.Lock()
	g.held[queue] = append(g.held[queue], c)
	g.mu.Unlock()
	select {
	case <-c:
		return nil
	case <-ctx.Done():
		g.mu.Lock()
		g.held[queue] = slices.DeleteFunc(g.held[queue], func(x chan struct{}) bool { return x == c })
		g.mu.Unlock()
		return context.Cause(ctx)
	}
}

// let lets the oldest handler of queue go, and reports whether there was one.
func (g *gate) let(queue string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.held[queue]) == 0 {
		return false
	}
	close(g.held[queue][0])
	g.held[queue] = g.held[queue][1:]
	return true
}

// running returns how many handlers of each of queues are held.
func (g *gate) running(queues []string) []int {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := make([]int, len(queues))
	for i, q := range queues {
		n[i] = len(g.held[q])
	}
	return n
}

// runGroup runs g in the background; the returned stop stops it with
// StopNow and returns Run's error. It also runs at cleanup.
func runGroup(t *testing.T, g *worker.Group) (stop func() error) {
	t.Helper()
	errc := make(chan error, 1)
	go func() { errc <- g.Run(context.Background()) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			require.NoError(t, g.StopNow(context.Background()))
			err = <-errc
		})
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}

// gatedWorker returns a worker over queue of drv whose handler waits at
// gt, with the given concurrency.
func gatedWorker(t *testing.T, drv driver.Driver, queue string, concurrency int, gt *gate, tasks int) *worker.Worker[int] {
	t.Helper()
	q, err := gosk.NewQueue[int](drv, queue, nil)
	require.NoError(t, err)
	if tasks > 0 {
		_, err = q.CreateMany(context.Background(), gosk.Items(make([]int, tasks), nil))
		require.NoError(t, err)
	}
	w, err := worker.New(q, func(ctx context.Context, _ *gosk.Task[int]) error {
		return gt.enter(ctx, queue)
	}, &worker.Config{Concurrency: concurrency, Retention: worker.NoRetention})
	require.NoError(t, err)
	return w
}

// TestGroupSharesTheBudgetByWeight runs queues with tasks to spare under
// a budget, lets one handler go at a time, and checks that once the
// queues over their share have given slots back, every slot that comes
// free goes where it keeps the weights' proportion, and stays there.
func TestGroupSharesTheBudgetByWeight(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		budget  int
		weights []int
		want    []int
	}{
		{"3 to 1", 4, []int{3, 1}, []int{3, 1}},
		{"1, 1 and 2", 8, []int{1, 1, 2}, []int{2, 2, 4}},
		{"weight 1 beside weight 100 is not starved", 2, []int{100, 1}, []int{1, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			drv := memory.New(nil)
			t.Cleanup(func() { _ = drv.Close() })
			g, err := worker.NewGroup(&worker.GroupConfig{MaxConcurrency: tc.budget})
			require.NoError(t, err)
			gt := newGate()
			queues := make([]string, len(tc.weights))
			for i, wt := range tc.weights {
				queues[i] = fmt.Sprintf("q%d", i)
				w := gatedWorker(t, drv, queues[i], 2*tc.budget, gt, 4*tc.budget)
				require.NoError(t, g.Add(w, &worker.MemberOptions{Weight: wt}))
			}
			runGroup(t, g)

			// settled waits until every slot runs a handler, each held
			// slot is a running handler, and every worker waits for more.
			settled := func() []int {
				t.Helper()
				var run []int
				require.Eventually(t, func() bool {
					run = gt.running(queues)
					held, waiting := worker.BudgetUsage(g)
					total := 0
					for _, n := range run {
						total += n
					}
					return total == tc.budget && slices.Equal(held, run) && waiting == len(queues)
				}, wait, tick, "the budget did not settle")
				return run
			}
			run := settled()
			for step := range 6 * tc.budget {
				// Let go of a handler of a queue over its share, else of
				// each queue in turn.
				pick := -1
				for i := range queues {
					if run[i] > tc.want[i] {
						pick = i
						break
					}
				}
				for i := step; pick < 0 || run[pick] == 0; i++ {
					pick = i % len(queues)
				}
				require.True(t, gt.let(queues[pick]))
				run = settled()
				if step >= tc.budget {
					require.Equal(t, tc.want, run, "step %d: handlers per queue", step)
				}
			}
		})
	}
}

// TestGroupQueueAloneUsesTheWholeBudget checks that a queue with tasks
// takes every slot while the other queues have none.
func TestGroupQueueAloneUsesTheWholeBudget(t *testing.T) {
	t.Parallel()
	drv := memory.New(nil)
	t.Cleanup(func() { _ = drv.Close() })
	g, err := worker.NewGroup(&worker.GroupConfig{MaxConcurrency: 4})
	require.NoError(t, err)
	gt := newGate()
	require.NoError(t, g.Add(gatedWorker(t, drv, "busy", 10, gt, 20), &worker.MemberOptions{Weight: 1}))
	require.NoError(t, g.Add(gatedWorker(t, drv, "idle", 10, gt, 0), &worker.MemberOptions{Weight: 9}))
	runGroup(t, g)
	require.Eventually(t, func() bool {
		held, waiting := worker.BudgetUsage(g)
		return slices.Equal(gt.running([]string{"busy", "idle"}), []int{4, 0}) && slices.Equal(held, []int{4, 0}) && waiting >= 1
	}, wait, tick)
}

// TestGroupRunsWorkersOfTwoTypes runs two workers of different payload
// types under one Group, its logger and its event hook, and stops them
// with one Stop.
func TestGroupRunsWorkersOfTwoTypes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	drv := memory.New(nil)
	t.Cleanup(func() { _ = drv.Close() })
	logger, logs := newLogger()
	var groupEvents, ownEvents events
	inHook := atomic.Int32{}
	g, err := worker.NewGroup(&worker.GroupConfig{Logger: logger, OnEvent: func(ev worker.Event) {
		if inHook.Add(1) != 1 {
			t.Error("the Group's OnEvent ran concurrently with itself")
		}
		groupEvents.add(ev)
		inHook.Add(-1)
	}})
	require.NoError(t, err)

	nums, err := gosk.NewQueue[int](drv, "numbers", nil)
	require.NoError(t, err)
	words, err := gosk.NewQueue[string](drv, "words", nil)
	require.NoError(t, err)
	_, err = nums.CreateMany(ctx, gosk.Items([]int{1, 2, 3}, nil))
	require.NoError(t, err)
	_, err = words.CreateMany(ctx, gosk.Items([]string{"a", "b"}, nil))
	require.NoError(t, err)
	var sum atomic.Int64
	var text sync.Map
	wn, err := worker.New(nums, func(_ context.Context, t *gosk.Task[int]) error {
		sum.Add(int64(t.Payload))
		return nil
	}, &worker.Config{OnEvent: ownEvents.add})
	require.NoError(t, err)
	ww, err := worker.New(words, func(_ context.Context, t *gosk.Task[string]) error {
		text.Store(t.Payload, true)
		return nil
	}, nil)
	require.NoError(t, err)
	require.NoError(t, g.Add(wn, nil))
	require.NoError(t, g.Add(ww, &worker.MemberOptions{Weight: 2}))

	stop := runGroup(t, g)
	require.Eventually(t, func() bool { return len(groupEvents.list()) == 5 }, wait, tick)
	require.NoError(t, stop())
	select {
	case <-g.Stopped():
	default:
		t.Fatal("Stopped is open after Run returned")
	}
	assert.EqualValues(t, 6, sum.Load())
	assert.Equal(t, 5, groupEvents.kinds()[worker.EventCompleted])
	assert.Len(t, ownEvents.list(), 3, "the worker's own OnEvent hears its own events")
	assert.Contains(t, logs.String(), "queue=words", "workers with no Logger log to the Group's")
}

// TestGroupRefusesBadInput checks NewGroup's, Add's and Run's refusals.
func TestGroupRefusesBadInput(t *testing.T) {
	t.Parallel()
	_, err := worker.NewGroup(&worker.GroupConfig{MaxConcurrency: -1})
	require.ErrorIs(t, err, gosk.ErrInvalid)
	require.ErrorContains(t, err, "GroupConfig.MaxConcurrency")
	_, err = worker.NewGroup(&worker.GroupConfig{PollInterval: -time.Second})
	require.ErrorIs(t, err, gosk.ErrInvalid)
	require.ErrorContains(t, err, "GroupConfig.PollInterval")

	g, err := worker.NewGroup(nil)
	require.NoError(t, err)
	require.ErrorIs(t, g.Run(context.Background()), gosk.ErrInvalid, "an empty Group")
	drv := memory.New(nil)
	t.Cleanup(func() { _ = drv.Close() })
	w := gatedWorker(t, drv, "q", 1, newGate(), 0)
	require.ErrorIs(t, g.Add(nil, nil), gosk.ErrInvalid)
	var nilWorker *worker.Worker[int]
	require.ErrorIs(t, g.Add(nilWorker, nil), gosk.ErrInvalid)
	require.ErrorIs(t, g.AddRunner(nil), gosk.ErrInvalid)
	err = g.Add(w, &worker.MemberOptions{Weight: -2})
	require.ErrorIs(t, err, gosk.ErrInvalid)
	require.ErrorContains(t, err, "MemberOptions.Weight")
	require.NoError(t, g.Add(w, nil))
	require.ErrorIs(t, g.Add(w, nil), gosk.ErrInvalid, "the same worker twice")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.NoError(t, g.Run(ctx))
	require.ErrorContains(t, g.Add(gatedWorker(t, drv, "r", 1, newGate(), 0), nil), "after Run")
	require.ErrorContains(t, g.AddRunner(runnerFunc(func(context.Context) error { return nil })), "after Run")
}

// runnerFunc makes a function a worker.Runner.
type runnerFunc func(ctx context.Context) error

func (f runnerFunc) Run(ctx context.Context) error { return f(ctx) }

// TestGroupStopsEveryoneWhenOneFails checks that a Runner's error stops
// the workers gracefully, that Run returns it, and that a Runner that
// returns its context's error on a stop counts as stopped cleanly.
func TestGroupStopsEveryoneWhenOneFails(t *testing.T) {
	t.Parallel()
	drv := memory.New(nil)
	t.Cleanup(func() { _ = drv.Close() })
	g, err := worker.NewGroup(nil)
	require.NoError(t, err)
	gt := newGate()
	require.NoError(t, g.Add(gatedWorker(t, drv, "q", 2, gt, 1), nil))
	boom := errors.New("boom")
	fail := make(chan struct{})
	require.NoError(t, g.AddRunner(runnerFunc(func(ctx context.Context) error {
		<-ctx.Done()
		return ctx.Err()
	})))
	require.NoError(t, g.AddRunner(runnerFunc(func(context.Context) error {
		<-fail
		return boom
	})))
	errc := make(chan error, 1)
	go func() { errc <- g.Run(context.Background()) }()
	require.Eventually(t, func() bool { return gt.running([]string{"q"})[0] == 1 }, wait, tick)
	close(fail)
	// The worker's shutdown waits for its running handler.
	require.Eventually(t, func() bool { return gt.let("q") }, wait, tick)
	err = <-errc
	require.ErrorIs(t, err, boom)
	require.NotContains(t, err.Error(), "context canceled")
	q, err := gosk.NewQueue[int](drv, "q", nil)
	require.NoError(t, err)
	n, err := q.Count(context.Background())
	require.NoError(t, err)
	assert.EqualValues(t, 1, n[gosk.StateCompleted], "the running handler finished and was stored")
}

// TestGroupStopNowCancelsHandlers checks that StopNow cancels the
// handlers of every worker with ErrShutdown and releases their tasks.
func TestGroupStopNowCancelsHandlers(t *testing.T) {
	t.Parallel()
	drv := memory.New(nil)
	t.Cleanup(func() { _ = drv.Close() })
	g, err := worker.NewGroup(&worker.GroupConfig{MaxConcurrency: 3})
	require.NoError(t, err)
	gt := newGate()
	for _, q := range []string{"a", "b"} {
		q, err := gosk.NewQueue[int](drv, q, nil)
		require.NoError(t, err)
		_, err = q.Create(context.Background(), 1, nil)
		require.NoError(t, err)
		w, err := worker.New(q, func(ctx context.Context, _ *gosk.Task[int]) error {
			err := gt.enter(ctx, q.Name())
			if !errors.Is(err, worker.ErrShutdown) {
				t.Errorf("handler's cause %v, want ErrShutdown", err)
			}
			return err
		}, &worker.Config{ShutdownTimeout: time.Hour, Retention: worker.NoRetention})
		require.NoError(t, err)
		require.NoError(t, g.Add(w, nil))
	}
	errc := make(chan error, 1)
	go func() { errc <- g.Run(context.Background()) }()
	require.Eventually(t, func() bool { return slices.Equal(gt.running([]string{"a", "b"}), []int{1, 1}) }, wait, tick)
	require.NoError(t, g.StopNow(context.Background()))
	require.NoError(t, <-errc)
	<-g.Stopped()
	for _, name := range []string{"a", "b"} {
		q, err := gosk.NewQueue[int](drv, name, nil)
		require.NoError(t, err)
		n, err := q.Count(context.Background())
		require.NoError(t, err)
		assert.EqualValues(t, 1, n[gosk.StatePending], "queue %s: the task is released", name)
	}
}

// dueDriver hides every capability of the memory driver but Admin's
// List, and adds driver.DueReporter on top of it, counting the Claim
// calls of each queue and the Due calls.
type dueDriver struct {
	driver.Driver
	mem *memory.Driver

	mu     sync.Mutex
	claims map[string]int
	dues   int
}

func newDueDriver(mem *memory.Driver) *dueDriver {
	return &dueDriver{Driver: mem, mem: mem, claims: map[string]int{}}
}

func (d *dueDriver) Claim(ctx context.Context, p driver.ClaimParams) ([]driver.ClaimedTask, error) {
	d.mu.Lock()
	d.claims[p.Queue]++
	d.mu.Unlock()
	return d.Driver.Claim(ctx, p)
}

// Due reads the queues' pending and running tasks through List.
func (d *dueDriver) Due(ctx context.Context, queues []string) ([]time.Duration, error) {
	d.mu.Lock()
	d.dues++
	d.mu.Unlock()
	now := time.Now()
	out := make([]time.Duration, len(queues))
	for i, q := range queues {
		out[i] = driver.NotDue
		recs, err := d.mem.List(ctx, driver.ListParams{Queue: q, States: []driver.State{driver.StatePending, driver.StateRunning}, Limit: 1000})
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			at := r.RunAt
			if r.State == driver.StateRunning {
				at = r.LeaseExpiresAt
			}
			d := max(at.Sub(now), 0)
			if out[i] == driver.NotDue || d < out[i] {
				out[i] = d
			}
		}
	}
	return out, nil
}

func (d *dueDriver) counts() (claims map[string]int, dues int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return maps.Clone(d.claims), d.dues
}

// TestGroupAsksDueOnceForItsIdleQueues runs 20 idle workers on a driver
// with driver.DueReporter and no Notifier: after each claims once at its
// start, the Group asks Due once per poll for all of them and no worker
// claims again, until a task is created in one queue: then only that
// queue's worker claims.
func TestGroupAsksDueOnceForItsIdleQueues(t *testing.T) {
	t.Parallel()
	mem := memory.New(nil)
	t.Cleanup(func() { _ = mem.Close() })
	drv := newDueDriver(mem)
	g, err := worker.NewGroup(&worker.GroupConfig{PollInterval: 5 * time.Millisecond})
	require.NoError(t, err)
	var done atomic.Int32
	queues := make([]*gosk.Queue[int], 20)
	for i := range queues {
		q, err := gosk.NewQueue[int](drv, fmt.Sprintf("q%02d", i), nil)
		require.NoError(t, err)
		queues[i] = q
		w, err := worker.New(q, func(context.Context, *gosk.Task[int]) error {
			done.Add(1)
			return nil
		}, &worker.Config{PollInterval: time.Millisecond, Retention: worker.NoRetention})
		require.NoError(t, err)
		require.NoError(t, g.Add(w, nil))
	}
	runGroup(t, g)
	require.Eventually(t, func() bool {
		claims, dues := drv.counts()
		return len(claims) == 20 && dues >= 10
	}, wait, tick)
	claims, _ := drv.counts()
	for q, n := range claims {
		assert.Equal(t, 1, n, "queue %s claimed again, not through Due", q)
	}

	_, err = queues[7].Create(context.Background(), 1, nil)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return done.Load() == 1 }, wait, tick)
	_, before := drv.counts()
	require.Eventually(t, func() bool { _, dues := drv.counts(); return dues >= before+3 }, wait, tick)
	claims, _ = drv.counts()
	for q, n := range claims {
		if q == "q07" {
			assert.GreaterOrEqual(t, n, 2, "the due queue's worker claimed")
			continue
		}
		assert.Equal(t, 1, n, "queue %s claimed though nothing was due", q)
	}
}

// TestGroupWakesEveryIdleWorkerWhenDueFails checks that a failing Due
// falls back to claims, so work is still found.
func TestGroupWakesEveryIdleWorkerWhenDueFails(t *testing.T) {
	t.Parallel()
	mem := memory.New(nil)
	t.Cleanup(func() { _ = mem.Close() })
	drv := &failingDue{dueDriver: newDueDriver(mem)}
	logger, logs := newLogger()
	g, err := worker.NewGroup(&worker.GroupConfig{PollInterval: 5 * time.Millisecond, Logger: logger})
	require.NoError(t, err)
	q, err := gosk.NewQueue[int](drv, "q", nil)
	require.NoError(t, err)
	var done atomic.Int32
	w, err := worker.New(q, func(context.Context, *gosk.Task[int]) error {
		done.Add(1)
		return nil
	}, &worker.Config{Retention: worker.NoRetention})
	require.NoError(t, err)
	require.NoError(t, g.Add(w, nil))
	runGroup(t, g)
	require.Eventually(t, func() bool { c, _ := drv.counts(); return c["q"] == 1 }, wait, tick)
	_, err = q.Create(context.Background(), 1, nil)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return done.Load() == 1 }, wait, tick)
	assert.True(t, strings.Contains(logs.String(), "due poll failed"))
}

// failingDue is a dueDriver whose Due always fails.
type failingDue struct{ *dueDriver }

func (f *failingDue) Due(context.Context, []string) ([]time.Duration, error) {
	return nil, errStore
}
