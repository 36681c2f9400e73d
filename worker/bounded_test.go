package worker_test

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivers/memory"
	"github.com/gosk/gosk/worker"
)

// pendingVar sets how many tasks TestManyPendingTasks queues. Its default
// keeps the test to seconds under -race; the figure is
//
//	GOSK_TEST_PENDING_TASKS=1000000 go test -race -count=1 -run TestManyPendingTasks -v ./worker/
const pendingVar = "GOSK_TEST_PENDING_TASKS"

// holding wraps a memory driver and keeps count of the tasks the worker
// holds: claimed, and not yet handed to Finish. It records the most it
// ever held and the largest Claim limit asked for.
type holding struct {
	*memory.Driver

	mu       sync.Mutex
	held     int
	maxHeld  int
	maxLimit int
}

func (h *holding) Claim(ctx context.Context, p driver.ClaimParams) ([]driver.ClaimedTask, error) {
	got, err := h.Driver.Claim(ctx, p)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.maxLimit = max(h.maxLimit, p.Limit)
	h.held += len(got)
	h.maxHeld = max(h.maxHeld, h.held)
	return got, err
}

func (h *holding) Finish(ctx context.Context, outcomes []driver.Outcome) ([]error, error) {
	errs, err := h.Driver.Finish(ctx, outcomes)
	if err == nil {
		h.mu.Lock()
		h.held -= len(outcomes)
		h.mu.Unlock()
	}
	return errs, err
}

func (h *holding) most() (held, limit int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.maxHeld, h.maxLimit
}

// heapInUse returns the bytes of live heap objects, after a collection.
func heapInUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// TestManyPendingTasks: with a great many tasks pending, a worker loads no
// more than it can run. It never holds more than twice its concurrency
// (those running and those whose outcome waits to be stored, as
// Config.Concurrency says), never asks Claim for more than its
// concurrency, and the heap it adds while it works stays within a bound
// set by its concurrency, not by the number of tasks pending: a worker
// that loaded even a tenth of them would exceed it many times over.
func TestManyPendingTasks(t *testing.T) {
	n := 100_000
	if s := os.Getenv(pendingVar); s != "" {
		v, err := strconv.Atoi(s)
		require.NoError(t, err, "%s must be a number of tasks", pendingVar)
		n = v
	}
	const (
		concurrency = 4
		batch       = 10_000
		handled     = 400 // tasks run per measurement
		rounds      = 3
	)
	ctx := t.Context()
	h := &holding{Driver: memory.New(nil)}
	t.Cleanup(func() { _ = h.Close() })

	start := time.Now()
	before := heapInUse()
	payload := []byte(`{"n":1}`)
	tasks := make([]driver.NewTask, batch)
	for i := range tasks {
		tasks[i] = driver.NewTask{Queue: "flat", Payload: payload, MaxAttempts: 3}
	}
	for created := 0; created < n; created += batch {
		res, err := h.Create(ctx, tasks[:min(batch, n-created)])
		require.NoError(t, err)
		require.NoError(t, res[0].Err)
	}
	tasks = nil
	base := heapInUse()
	// perTask is what one stored task costs the driver; a task the worker
	// holds costs at least its record, so this is a fair unit for what
	// the worker may hold.
	perTask := (base - before) / int64(n)
	// bound: what the worker may add to the heap: its own structures
	// (goroutines' stacks are not heap), a generous 64 tasks' worth for
	// each slot it has, and 2 MiB for the runtime's and the logger's
	// buffers, the driver's maps of running tasks and the like.
	bound := 64*concurrency*perTask + 2<<20
	t.Logf("%d pending tasks created in %v: %d MiB of heap, %d bytes each; the worker may add %d KiB",
		n, time.Since(start).Round(time.Millisecond), (base-before)>>20, perTask, bound>>10)
	require.Less(t, bound, int64(n)/10*perTask,
		"the bound must catch a worker that loads a tenth of the pending tasks; raise %s", pendingVar)

	q, err := gosk.NewQueue[job](h, "flat", nil)
	require.NoError(t, err)
	var done atomic.Int64
	// gate holds the handlers while the heap is measured, so that the
	// tasks the worker goes on running meanwhile do not count: between
	// the collection and the reading of the heap, a fast worker
	// allocated a megabyte or more of garbage.
	var gate sync.RWMutex
	w, err := worker.New(q, func(context.Context, *gosk.Task[job]) error {
		gate.RLock()
		defer gate.RUnlock()
		done.Add(1)
		return nil
	}, &worker.Config{Concurrency: concurrency, Retention: worker.NoRetention})
	require.NoError(t, err)
	runCtx, stop := context.WithCancel(ctx)
	ran := make(chan error, 1)
	go func() { ran <- w.Run(runCtx) }()

	var most int64
	for r := 1; r <= rounds; r++ {
		require.Eventually(t, func() bool { return done.Load() >= int64(r*handled) },
			time.Minute, tick, "the worker ran %d of %d tasks", done.Load(), r*handled)
		gate.Lock()
		grew := heapInUse() - base
		gate.Unlock()
		most = max(most, grew)
		t.Logf("after %d tasks run: the heap grew by %d KiB", done.Load(), grew>>10)
	}
	stop()
	require.NoError(t, <-ran)
	after := heapInUse() - base
	t.Logf("after Run returned: the heap grew by %d KiB", after>>10)
	most = max(most, after)

	held, limit := h.most()
	t.Logf("the worker held at most %d tasks and asked Claim for at most %d; total %v", held, limit, time.Since(start).Round(time.Millisecond))
	require.LessOrEqual(t, limit, concurrency, "the worker asked Claim for more tasks than it has handlers")
	require.LessOrEqual(t, held, 2*concurrency, "the worker held more tasks than it runs plus those whose outcome waits to be stored")
	require.LessOrEqual(t, most, bound, "the worker's heap grew with the tasks pending, not with its concurrency")
}
