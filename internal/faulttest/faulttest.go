// Package faulttest runs a worker and a producer against a driver whose
// server the test hurts (terminates its connections, crashes and restarts
// it), and checks what gosk promises through it: the worker logs, backs
// off and carries on, and every task whose create was acknowledged exists
// afterwards and reaches a final state.
package faulttest

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/worker"
)

// Store is what a shipped driver offers: the port and both capabilities.
type Store interface {
	driver.Driver
	driver.Notifier
	driver.Admin
}

// Counting wraps a driver and counts its Claim calls, so that a test can
// bound how often a worker tries a store that is down.
type Counting struct {
	Store
	claims atomic.Int64
}

// Claim counts the call and passes it on.
func (c *Counting) Claim(ctx context.Context, p driver.ClaimParams) ([]driver.ClaimedTask, error) {
	c.claims.Add(1)
	return c.Store.Claim(ctx, p)
}

// Claims returns how many Claim calls were made.
func (c *Counting) Claims() int64 { return c.claims.Load() }

// Lease is the workers' lease in a Load: short enough that a lapsed task
// is run again within the test, long enough for a loaded machine.
const Lease = 2 * time.Second

// Load is a running worker and producer on one queue.
type Load struct {
	t       testing.TB
	Drv     *Counting
	Q       *gosk.Queue[int]
	logs    *syncBuffer
	stopW   context.CancelFunc
	wDone   chan error
	stopP   context.CancelFunc
	pDone   chan struct{}
	mu      sync.Mutex
	acked   []int64
	failed  int // creates that returned an error
	handled atomic.Int64
}

// Start starts a worker (8 handlers of a few milliseconds each) and a
// producer that creates one task at a time, without pause, on queue.
func Start(t testing.TB, d Store, queue string) *Load {
	t.Helper()
	l := &Load{t: t, Drv: &Counting{Store: d}, logs: &syncBuffer{}}
	q, err := gosk.NewQueue[int](l.Drv, queue, nil)
	if err != nil {
		t.Fatal(err)
	}
	l.Q = q
	w, err := worker.New(q, func(ctx context.Context, _ *gosk.Task[int]) error {
		l.handled.Add(1)
		select {
		case <-time.After(2 * time.Millisecond):
		case <-ctx.Done():
		}
		return nil
	}, &worker.Config{
		Concurrency: 8, Lease: Lease, PollInterval: 100 * time.Millisecond,
		Retention: worker.NoRetention, ShutdownTimeout: 5 * time.Second,
		Logger: slog.New(slog.NewTextHandler(l.logs, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		t.Fatal(err)
	}
	wctx, stopW := context.WithCancel(context.Background())
	l.stopW, l.wDone = stopW, make(chan error, 1)
	go func() { l.wDone <- w.Run(wctx) }()

	pctx, stopP := context.WithCancel(context.Background())
	l.stopP, l.pDone = stopP, make(chan struct{})
	go func() {
		defer close(l.pDone)
		for i := 0; pctx.Err() == nil; i++ {
			// Stopping ends the loop, never a create under way: a create
			// cut short would count as failed on a healthy store.
			ctx, cancel := context.WithTimeout(context.WithoutCancel(pctx), 5*time.Second)
			id, err := q.Create(ctx, i, nil)
			cancel()
			l.mu.Lock()
			if err == nil {
				l.acked = append(l.acked, id)
			} else {
				l.failed++
			}
			l.mu.Unlock()
			if err != nil {
				// The store is down: a producer paces its retries.
				select {
				case <-time.After(20 * time.Millisecond):
				case <-pctx.Done():
				}
			}
		}
	}()
	t.Cleanup(func() {
		l.stopP()
		l.stopW()
		<-l.pDone
		if err := <-l.wDone; err != nil {
			t.Errorf("Run returned %v", err)
		}
	})
	return l
}

// Acked returns how many creates were acknowledged so far.
func (l *Load) Acked() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acked)
}

// WaitAcked waits until n more creates are acknowledged and n more tasks
// handled than when it was called: the store is up and the worker works.
func (l *Load) WaitAcked(n int) {
	l.t.Helper()
	a, h := l.Acked(), l.handled.Load()
	deadline := time.Now().Add(60 * time.Second)
	for l.Acked() < a+n || l.handled.Load() < h+int64(n) {
		if time.Now().After(deadline) {
			l.t.Fatalf("after 60s, %d of %d more creates acknowledged and %d of %d more tasks handled: the worker or producer did not carry on\nworker log:\n%s",
				l.Acked()-a, n, l.handled.Load()-h, n, l.logs.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Logs returns what the worker logged at Warn level and above.
func (l *Load) Logs() string { return l.logs.String() }

// Finish stops the producer, waits until every acknowledged task is final
// (each must exist), stops the worker and checks that Run returned nil.
// It returns the number of acknowledged creates and of failed ones.
func (l *Load) Finish() (acked, failed int) {
	l.t.Helper()
	l.stopP()
	<-l.pDone
	l.mu.Lock()
	ids := append([]int64(nil), l.acked...)
	failed = l.failed
	l.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for {
		tasks, err := l.list(ctx)
		notFinal := int64(0)
		if err == nil {
			for _, id := range ids {
				rec, ok := tasks[id]
				if !ok {
					l.t.Fatalf("task %d was acknowledged by Create but does not exist: an acknowledged create was lost", id)
				}
				if !rec.State.Final() {
					notFinal = id
					break
				}
			}
			if notFinal == 0 {
				break
			}
		}
		if ctx.Err() != nil {
			l.t.Fatalf("task %d is not final 60s after the fault (last error %v): stuck\nworker log:\n%s", notFinal, err, l.logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	// A create that failed may have stored its task; one that succeeded
	// stored exactly one. More tasks than creates means a create stored
	// twice (a client that resent it after a broken connection).
	counts, err := l.Drv.Count(ctx, l.Q.Name())
	if err != nil {
		l.t.Fatalf("Count: %v", err)
	}
	var total int64
	for _, n := range counts {
		total += n
	}
	if total > int64(len(ids)+failed) {
		l.t.Errorf("the queue holds %d tasks after %d acknowledged and %d failed creates: a create stored more than one task", total, len(ids), failed)
	}
	if strings.Contains(l.logs.String(), "task state conflict") {
		l.t.Errorf("an outcome the worker had not stored was answered ErrTaskConflict, as if stored already (a Finish resent after a broken connection?):\n%s", l.logs.String())
	}
	l.stopW()
	if err := <-l.wDone; err != nil {
		l.t.Errorf("Run returned %v after the store came back", err)
	}
	l.wDone <- nil // for the cleanup
	return len(ids), failed
}

// list returns every task of the queue by ID, a page at a time.
func (l *Load) list(ctx context.Context) (map[int64]driver.TaskRecord, error) {
	all := make(map[int64]driver.TaskRecord)
	var after int64
	for {
		page, err := l.Drv.List(ctx, driver.ListParams{Queue: l.Q.Name(), AfterID: after, Limit: 1000})
		if err != nil {
			return nil, err
		}
		for _, r := range page {
			all[r.ID] = r
			after = r.ID
		}
		if len(page) < 1000 {
			return all, nil
		}
	}
}

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

// WaitClaims waits until the worker has made n Claim calls, failed ones
// included.
func (l *Load) WaitClaims(n int64) {
	l.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for l.Drv.Claims() < n {
		if time.Now().After(deadline) {
			l.t.Fatalf("after 60s the worker has made %d of %d claims", l.Drv.Claims(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// WorkOnDeadStore creates tasks on q, then calls Work with a context that
// has no deadline, its handlers crashing the server (crash) before they
// return, so that no outcome can be stored and the server stays down.
// Work must return within a bound, with an error naming the outcomes not
// stored.
func WorkOnDeadStore(t testing.TB, q *gosk.Queue[int], crash func()) {
	t.Helper()
	const n = 4
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := range n {
		if _, err := q.Create(ctx, i, nil); err != nil {
			t.Fatal(err)
		}
	}
	var once sync.Once
	var started sync.WaitGroup
	started.Add(n)
	w, err := worker.New(q, func(context.Context, *gosk.Task[int]) error {
		started.Done()
		started.Wait()
		once.Do(crash)
		return nil
	}, &worker.Config{Concurrency: n, Lease: time.Second, Retention: worker.NoRetention})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- w.Work(context.Background()) }()
	select {
	case err = <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("Work, with no deadline, on a server that stays down, has not returned after 60s")
	}
	t.Logf("Work returned after %v: %v", time.Since(start), err)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%d task outcomes not stored", n)) {
		t.Fatalf("Work returned %v, not an error naming the %d outcomes not stored", err, n)
	}
}

// Exercise creates n tasks on queue and runs a worker of 4 handlers over
// d (pinging, finishing and, where d has driver.Notifier, subscribed)
// until it has handled them all, then stops it and waits for Run to
// return: what a test of what a stopped worker and a closed driver leave
// behind needs done first.
func Exercise(t testing.TB, d driver.Driver, queue string, n int) {
	t.Helper()
	q, err := gosk.NewQueue[int](d, queue, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	vals := make([]int, n)
	for i := range vals {
		vals[i] = i
	}
	if _, err := q.CreateMany(ctx, gosk.Items(vals, nil)); err != nil {
		t.Fatal(err)
	}
	handled := make(chan struct{}, n)
	w, err := worker.New(q, func(context.Context, *gosk.Task[int]) error {
		handled <- struct{}{}
		return nil
	}, &worker.Config{Concurrency: 4, Lease: time.Second, PollInterval: 50 * time.Millisecond, Retention: worker.NoRetention})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- w.Run(runCtx) }()
	for i := range n {
		select {
		case <-handled:
		case <-ctx.Done():
			stop()
			t.Fatalf("the worker handled %d of %d tasks in 60s (Run returned %v)", i, n, <-done)
		}
	}
	stop()
	if err := <-done; err != nil {
		t.Fatalf("Run returned %v", err)
	}
}

// Log is a log for a test: a slog text handler at Debug level, so that
// every line the library writes is kept, writing to a buffer that many
// goroutines share.
type Log struct {
	buf syncBuffer
}

// Logger returns a logger that writes to l.
func (l *Log) Logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(&l.buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// Lines returns the lines logged so far.
func (l *Log) Lines() []string {
	s := strings.TrimSuffix(l.buf.String(), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// Warnings returns the lines logged at Warn level or above so far.
func (l *Log) Warnings() []string {
	var w []string
	for _, line := range l.Lines() {
		if strings.Contains(line, " level=WARN ") || strings.Contains(line, " level=ERROR ") {
			w = append(w, line)
		}
	}
	return w
}

// RunUntilLogged runs a producer and a worker (its logger writing to log)
// over d, a driver whose store does not work (down, or refusing the
// driver's credentials), until log holds at least n warnings, then stops
// them. It returns the errors of the producer's creates and of the
// worker's Run: with the lines of log, all that a user sees of the store's
// failures.
func RunUntilLogged(t testing.TB, d driver.Driver, log *Log, n int) []error {
	t.Helper()
	q, err := gosk.NewQueue[int](d, "down", nil)
	if err != nil {
		t.Fatal(err)
	}
	w, err := worker.New(q, func(context.Context, *gosk.Task[int]) error { return nil },
		&worker.Config{Concurrency: 2, PollInterval: 50 * time.Millisecond, Retention: worker.NoRetention, Logger: log.Logger()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	var errs []error
	deadline := time.Now().Add(60 * time.Second)
	for len(log.Warnings()) < n {
		if time.Now().After(deadline) {
			stop()
			t.Fatalf("after 60s the log holds %d of %d warnings (Run returned %v):\n%s", len(log.Warnings()), n, <-done, strings.Join(log.Lines(), "\n"))
		}
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		if _, err := q.Create(cctx, 1, nil); err != nil {
			errs = append(errs, err)
		}
		cancel()
		time.Sleep(20 * time.Millisecond) // a producer paces its retries
	}
	stop()
	if err := <-done; err != nil {
		errs = append(errs, err)
	}
	return errs
}

// NoSecret fails the test if secret appears in any line of log or any of
// errs, naming where.
func NoSecret(t testing.TB, secret string, log *Log, errs []error) {
	t.Helper()
	for i, line := range log.Lines() {
		if strings.Contains(line, secret) {
			t.Errorf("log line %d prints the password: %s", i+1, line)
		}
	}
	for _, err := range errs {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("an error prints the password: %v", err)
		}
	}
}
