package worker_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivers/memory"
	"github.com/gosk/gosk/internal/testclock"
	"github.com/gosk/gosk/worker"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// wait is how long a test waits for a condition before it fails.
const wait = 10 * time.Second

// tick is how often a condition is checked.
const tick = 2 * time.Millisecond

type job struct {
	N int `json:"n"`
}

// newClock returns a settable clock for the memory driver.
func newClock() *testclock.Clock { return testclock.New(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) }

// spy wraps a memory driver, keeping every capability, and records the
// calls the worker makes. failFinish makes that many Finish calls fail.
type spy struct {
	*memory.Driver

	mu          sync.Mutex
	claimLimits []int
	claimed     []int
	finishSizes []int
	pingSizes   []int
	purges      int
	failFinish  int
	failedFin   int
	failPing    int
	failClaim   int
	afterClaim  func() // called after a claim that got tasks
}

var errStore = errors.New("store is down")

func (s *spy) Claim(ctx context.Context, p driver.ClaimParams) ([]driver.ClaimedTask, error) {
	s.mu.Lock()
	if s.failClaim > 0 {
		s.failClaim--
		s.mu.Unlock()
		return nil, errStore
	}
	after := s.afterClaim
	s.mu.Unlock()
	got, err := s.Driver.Claim(ctx, p)
	if after != nil && len(got) > 0 {
		after()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.claimLimits = append(s.claimLimits, p.Limit)
	s.claimed = append(s.claimed, len(got))
	return got, err
}

func (s *spy) Finish(ctx context.Context, o []driver.Outcome) ([]error, error) {
	s.mu.Lock()
	if s.failFinish > 0 {
		s.failFinish--
		s.failedFin++
		s.mu.Unlock()
		return nil, errStore
	}
	s.finishSizes = append(s.finishSizes, len(o))
	s.mu.Unlock()
	return s.Driver.Finish(ctx, o)
}

func (s *spy) Ping(ctx context.Context, l []driver.Lease, extend time.Duration) ([]error, error) {
	s.mu.Lock()
	if s.failPing > 0 {
		s.failPing--
		s.mu.Unlock()
		return nil, errStore
	}
	s.pingSizes = append(s.pingSizes, len(l))
	s.mu.Unlock()
	return s.Driver.Ping(ctx, l, extend)
}

func (s *spy) Purge(ctx context.Context, p driver.PurgeParams) (int, error) {
	s.mu.Lock()
	s.purges++
	s.mu.Unlock()
	return s.Driver.Purge(ctx, p)
}

func (s *spy) claims() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.claimLimits)
}

func (s *spy) finishes() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int(nil), s.finishSizes...)
}

func (s *spy) pings() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int(nil), s.pingSizes...)
}

func (s *spy) purgeCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.purges
}

// bare hides every optional capability of the driver it wraps.
type bare struct{ driver.Driver }

// fixture is a queue on a spied memory driver with a fake-able clock.
type fixture struct {
	t     *testing.T
	clock *testclock.Clock
	mem   *memory.Driver
	spy   *spy
	q     *gosk.Queue[job]
}

func newFixture(t *testing.T, fakeClock bool) *fixture {
	t.Helper()
	f := &fixture{t: t}
	opts := &memory.Options{}
	if fakeClock {
		f.clock = newClock()
		opts.Clock = f.clock.Now
	}
	f.mem = memory.New(opts)
	t.Cleanup(func() { _ = f.mem.Close() })
	f.spy = &spy{Driver: f.mem}
	q, err := gosk.NewQueue[job](f.spy, "jobs", nil)
	require.NoError(t, err)
	f.q = q
	return f
}

func (f *fixture) create(n int, opts *gosk.CreateOptions) []int64 {
	f.t.Helper()
	vs := make([]job, n)
	for i := range vs {
		vs[i] = job{N: i}
	}
	res, err := f.q.CreateMany(context.Background(), gosk.Items(vs, opts))
	require.NoError(f.t, err)
	ids := make([]int64, n)
	for i, r := range res {
		require.NoError(f.t, r.Err)
		ids[i] = r.ID
	}
	return ids
}

func (f *fixture) get(id int64) *gosk.Task[job] {
	f.t.Helper()
	task, err := f.q.Get(context.Background(), id)
	require.NoError(f.t, err)
	return task
}

func (f *fixture) count(s gosk.State) int64 {
	f.t.Helper()
	n, err := f.q.Count(context.Background())
	require.NoError(f.t, err)
	return n[s]
}

// start runs w in the background. The returned stop cancels Run's context
// and returns Run's error; it also runs at cleanup.
func start[T any](t *testing.T, w *worker.Worker[T]) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- w.Run(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			err = <-errc
		})
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}

// events collects worker events.
type events struct {
	mu  sync.Mutex
	all []worker.Event
}

func (e *events) add(ev worker.Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.all = append(e.all, ev)
}

func (e *events) kinds() map[worker.EventKind]int {
	e.mu.Lock()
	defer e.mu.Unlock()
	m := map[worker.EventKind]int{}
	for _, ev := range e.all {
		m[ev.Kind]++
	}
	return m
}

func (e *events) list() []worker.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]worker.Event(nil), e.all...)
}

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newLogger() (*slog.Logger, *syncBuffer) {
	buf := &syncBuffer{}
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

func (s *spy) failedFinishes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failedFin
}
