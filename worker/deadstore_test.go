package worker_test

import (
	"context"
	"strconv"
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

// TestWorkGivesUpOnADeadStore: Work, with a context that has no deadline,
// against a store that goes down after the claim and stays down, does not
// retry its finishes for ever: once the store has answered nothing for a
// lease, it gives the outcomes up and returns an error naming them.
func TestWorkGivesUpOnADeadStore(t *testing.T) {
	f, q := newFaulty(t, nil)
	var ids []int64
	for i := range 3 {
		id, err := q.Create(context.Background(), job{N: i}, nil)
		require.NoError(t, err)
		ids = append(ids, id)
	}
	var started sync.WaitGroup
	started.Add(3)
	h := func(ctx context.Context, _ *gosk.Task[job]) error {
		started.Done()
		started.Wait()
		// The store goes down while the handlers run: their outcomes
		// cannot be stored.
		f.set(func(f *faulty) { f.down = true })
		return nil
	}
	var ev events
	logger, logs := newLogger()
	const lease = 300 * time.Millisecond
	w, err := worker.New(q, h, &worker.Config{Concurrency: 3, Lease: lease, Logger: logger, OnEvent: ev.add, Retention: worker.NoRetention})
	require.NoError(t, err)

	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- w.Work(context.Background()) }()
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Work against a dead store, with no deadline, has not returned after 30s: it retries for ever")
	}
	took := time.Since(start)
	require.Error(t, err, "Work says that the outcomes were not stored")
	assert.ErrorIs(t, err, errStore, "Work's error wraps the store's")
	assert.Contains(t, err.Error(), "3 task outcomes not stored")
	for _, id := range ids {
		assert.Contains(t, err.Error(), "task "+itoa(id)+" completed", "Work's error names each outcome not stored")
	}
	assert.GreaterOrEqual(t, took, lease, "Work retries for a whole lease before giving up")
	assert.Equal(t, map[worker.EventKind]int{worker.EventNotStored: 3}, ev.kinds())
	assert.Contains(t, logs.String(), "giving up")
	// Back-off, not a spin: a few tries in the lease, not thousands.
	assert.Less(t, f.failures(), 40, "Finish calls during the outage")

	// The store comes back: the tasks run again once their leases run out.
	f.set(func(f *faulty) { f.down = false })
	w2, err := worker.New(q, func(context.Context, *gosk.Task[job]) error { return nil },
		&worker.Config{Concurrency: 3, Lease: lease, Retention: worker.NoRetention})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		_ = w2.Work(context.Background())
		for _, id := range ids {
			task, err := q.Get(context.Background(), id)
			if err != nil || task.State != gosk.StateCompleted {
				return false
			}
		}
		return true
	}, 20*time.Second, 50*time.Millisecond, "the tasks given up run again and complete")
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// edge wraps a memory driver whose store goes down at the edge of an
// outage the way a crashing server does: the first finishes fail, one
// ping still succeeds after the first of those failures, and then every
// ping fails until the store comes back, at finish number comeBack.
type edge struct {
	*memory.Driver
	comeBack int

	mu       sync.Mutex
	finishes int
	pinged   bool // the one ping that succeeds in the outage has been made
}

func (e *edge) Finish(ctx context.Context, o []driver.Outcome) ([]error, error) {
	e.mu.Lock()
	e.finishes++
	down := e.finishes < e.comeBack
	e.mu.Unlock()
	if down {
		return nil, errStore
	}
	return e.Driver.Finish(ctx, o)
}

func (e *edge) Ping(ctx context.Context, l []driver.Lease, extend time.Duration) ([]error, error) {
	e.mu.Lock()
	fail := e.finishes >= 1 && e.finishes < e.comeBack && e.pinged
	if e.finishes >= 1 {
		e.pinged = true
	}
	e.mu.Unlock()
	if fail {
		return nil, errStore
	}
	return e.Driver.Ping(ctx, l, extend)
}

// TestOutageEdgeIsNoRefusal: an outcome whose Finish calls fail through
// an outage is not taken for one the store refuses just because the store
// answered a call at the outage's edge, after the outcome's first
// failure: it is stored once the store is back. (The finisher used to
// count every failure after the first answer, and gave the outcome up at
// the fifth.)
func TestOutageEdgeIsNoRefusal(t *testing.T) {
	mem := memory.New(nil)
	t.Cleanup(func() { _ = mem.Close() })
	d := &edge{Driver: mem, comeBack: 8}
	q, err := gosk.NewQueue[job](d, "jobs", nil)
	require.NoError(t, err)
	id, err := q.Create(context.Background(), job{N: 1}, nil)
	require.NoError(t, err)
	var ev events
	w, err := worker.New(q, func(context.Context, *gosk.Task[job]) error { return nil },
		&worker.Config{Lease: 30 * time.Second, PingInterval: 20 * time.Millisecond, OnEvent: ev.add, Retention: worker.NoRetention})
	require.NoError(t, err)
	require.NoError(t, w.Work(context.Background()), "Work stores the outcome once the store is back")
	assert.Equal(t, map[worker.EventKind]int{worker.EventCompleted: 1}, ev.kinds())
	task, err := q.Get(context.Background(), id)
	require.NoError(t, err)
	assert.Equal(t, gosk.StateCompleted, task.State)
}
