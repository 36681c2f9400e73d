// Package harness runs the one workload that every program of the
// comparison runs, so that gosk and its peers are measured alike: a program
// supplies a Store for its library and backend, and Main does the rest and
// prints one JSON line.
//
// The workload, each phase on a store opened afresh (emptied first):
//
//   - single: N tasks created one per call from 8 goroutines;
//   - batch: N tasks created in batches of 1,000 from one goroutine;
//   - process: the N tasks of the batch phase handled by 16 handlers of a
//     no-op handler, timed from the start of the workers until the store
//     records all N completed;
//   - pickup: 300 tasks created 10 ms apart while the workers wait, each
//     timed from the return of its create call to the start of its handler.
//
// Every payload is 100 bytes. The peak resident set size of the process
// (VmHWM) is read at the end.
package harness

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// The workload's fixed sizes.
const (
	PayloadLen       = 100
	SingleProducers  = 8
	BatchSize        = 1000
	Handlers         = 16
	PickupTasks      = 300
	PickupInterval   = 10 * time.Millisecond
	defaultN         = 20000
	completedPolling = time.Millisecond
)

// The servers the programs use unless told otherwise (by flag, or by
// GOSK_BENCH_POSTGRES_URL and GOSK_BENCH_REDIS_URL): those that
// .ci/services starts.
const (
	DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	DefaultRedisURL    = "redis://127.0.0.1:6379"
)

// Store is one library on one backend, opened on an empty store for one
// phase of the workload.
type Store interface {
	// Enqueue creates one task with the payload in one call.
	Enqueue(ctx context.Context, payload []byte) error
	// EnqueueBatch creates the tasks, in one call where the library has
	// a batch call (see Info.NativeBatch).
	EnqueueBatch(ctx context.Context, payloads [][]byte) error
	// Start runs workers with the given number of handlers in all, each
	// calling handle with a task's payload and then returning nil, and
	// returns once they are started.
	Start(ctx context.Context, handlers int, handle func(payload []byte)) error
	// Completed is how many tasks the store records as completed (or,
	// for a library that deletes a task when it completes, how many of
	// those created are gone).
	Completed(ctx context.Context) (int64, error)
	// Close stops the workers, if started, and releases the store.
	Close() error
}

// Opener opens a Store on an empty store: each program's opener removes
// whatever an earlier run left (a fresh database or file, a flushed Redis
// database) before it returns.
type Opener func(ctx context.Context, env *Env) (Store, error)

// Info names a program and says how it maps the workload onto its library.
type Info struct {
	Library string // "gosk", "river", ...
	Backend string // "postgres", "sqlite", "redis", "memory", "bbolt"
	// NativeBatch is false when the library has no call that creates
	// many tasks, and EnqueueBatch loops over its single create.
	NativeBatch bool
	// Notes says what the program sets beyond the library's defaults.
	Notes string
}

// Env is what a program's opener needs from the command line.
type Env struct {
	N           int
	PostgresURL string
	RedisURL    string
	Dir         string
}

// Result is the one JSON line a program prints.
type Result struct {
	Program     string  `json:"program"`
	Library     string  `json:"library"`
	Backend     string  `json:"backend"`
	N           int     `json:"n"`
	SinglePerS  float64 `json:"single_per_s"`
	BatchPerS   float64 `json:"batch_per_s"`
	NativeBatch bool    `json:"native_batch"`
	ProcessPerS float64 `json:"process_per_s"`
	PickupP50Ms float64 `json:"pickup_p50_ms"`
	PickupP99Ms float64 `json:"pickup_p99_ms"`
	PeakRSSMiB  float64 `json:"peak_rss_mib"`
	GoVersion   string  `json:"go_version"`
	Notes       string  `json:"notes,omitempty"`
}

// Main parses the flags, runs the workload on the stores that open makes
// and prints the Result as one JSON line; on an error it prints it and
// exits with status 1.
func Main(info Info, open Opener) {
	env := &Env{}
	flag.IntVar(&env.N, "n", defaultN, "tasks in the single, batch and process phases")
	flag.StringVar(&env.PostgresURL, "postgres", envOr("GOSK_BENCH_POSTGRES_URL", DefaultPostgresURL),
		"PostgreSQL server to make a fresh database on (the URL's database is only used to connect)")
	flag.StringVar(&env.RedisURL, "redis", envOr("GOSK_BENCH_REDIS_URL", DefaultRedisURL),
		"Redis server; each program flushes a database index of its own")
	flag.StringVar(&env.Dir, "dir", "", "directory for SQLite and bbolt files (default: a temporary one, removed at exit)")
	flag.Parse()
	if env.N < BatchSize {
		fail(fmt.Errorf("-n is %d: it must be at least %d, one batch", env.N, BatchSize))
	}
	if env.Dir == "" {
		dir, err := os.MkdirTemp("", "gosk-bench-")
		if err != nil {
			fail(err)
		}
		defer os.RemoveAll(dir)
		env.Dir = dir
	}
	res, err := Run(context.Background(), info, env, open)
	if err != nil {
		fail(err)
	}
	line, err := json.Marshal(res)
	if err != nil {
		fail(err)
	}
	fmt.Println(string(line))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(1)
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// Run runs the workload and returns its Result.
func Run(ctx context.Context, info Info, env *Env, open Opener) (Result, error) {
	res := Result{
		Program: info.Library + "-" + info.Backend, Library: info.Library, Backend: info.Backend,
		N: env.N, NativeBatch: info.NativeBatch, GoVersion: runtime.Version(), Notes: info.Notes,
	}
	var err error
	if res.SinglePerS, err = phase(ctx, env, open, "single", func(s Store) (float64, error) { return single(ctx, s, env.N) }); err != nil {
		return res, err
	}
	err = withStore(ctx, env, open, "batch and process", func(s Store) error {
		var err error
		if res.BatchPerS, err = batch(ctx, s, env.N); err != nil {
			return err
		}
		res.ProcessPerS, err = process(ctx, s, env.N)
		return err
	})
	if err != nil {
		return res, err
	}
	err = withStore(ctx, env, open, "pickup", func(s Store) error {
		var err error
		res.PickupP50Ms, res.PickupP99Ms, err = pickup(ctx, s)
		return err
	})
	if err != nil {
		return res, err
	}
	res.PeakRSSMiB, err = peakRSSMiB()
	return res, err
}

func phase(ctx context.Context, env *Env, open Opener, name string, f func(Store) (float64, error)) (float64, error) {
	var v float64
	err := withStore(ctx, env, open, name, func(s Store) error {
		var err error
		v, err = f(s)
		return err
	})
	return v, err
}

func withStore(ctx context.Context, env *Env, open Opener, name string, f func(Store) error) error {
	s, err := open(ctx, env)
	if err != nil {
		return fmt.Errorf("%s: open: %w", name, err)
	}
	err = f(s)
	if cerr := s.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("close: %w", cerr)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// Payload returns the 100-byte payload of task seq: its number in 20
// digits, then filler. Printable ASCII, so that libraries that take JSON
// strings carry the same bytes.
func Payload(seq int) []byte {
	p := make([]byte, PayloadLen)
	copy(p, fmt.Sprintf("%020d", seq))
	for i := 20; i < PayloadLen; i++ {
		p[i] = 'x'
	}
	return p
}

// Seq returns the task number that Payload wrote into p.
func Seq(p []byte) (int, error) {
	if len(p) < 20 {
		return 0, fmt.Errorf("payload of %d bytes, want %d", len(p), PayloadLen)
	}
	return strconv.Atoi(string(p[:20]))
}

func single(ctx context.Context, s Store, n int) (float64, error) {
	var next atomic.Int64
	errs := make(chan error, SingleProducers)
	start := time.Now()
	var wg sync.WaitGroup
	for range SingleProducers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := s.Enqueue(ctx, Payload(i)); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	if err := <-errs; err != nil {
		return 0, err
	}
	return float64(n) / elapsed.Seconds(), nil
}

func batch(ctx context.Context, s Store, n int) (float64, error) {
	batches := make([][][]byte, 0, (n+BatchSize-1)/BatchSize)
	for i := 0; i < n; i += BatchSize {
		b := make([][]byte, 0, BatchSize)
		for j := i; j < min(i+BatchSize, n); j++ {
			b = append(b, Payload(j))
		}
		batches = append(batches, b)
	}
	start := time.Now()
	for _, b := range batches {
		if err := s.EnqueueBatch(ctx, b); err != nil {
			return 0, err
		}
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

// process starts the handlers on the n stored tasks and waits until the
// store records all n completed. It counts the handlers' calls first, which
// costs nothing, and only polls the store once they reach n, so that the
// polling does not load the store while it works.
func process(ctx context.Context, s Store, n int) (float64, error) {
	var handled atomic.Int64
	all := make(chan struct{})
	start := time.Now()
	err := s.Start(ctx, Handlers, func([]byte) {
		if handled.Add(1) == int64(n) {
			close(all)
		}
	})
	if err != nil {
		return 0, fmt.Errorf("start: %w", err)
	}
	timeout := time.NewTimer(10*time.Minute + time.Duration(n)*time.Millisecond)
	defer timeout.Stop()
	select {
	case <-all:
	case <-timeout.C:
		return 0, fmt.Errorf("process: %d of %d tasks handled before the timeout", handled.Load(), n)
	}
	for {
		done, err := s.Completed(ctx)
		if err != nil {
			return 0, fmt.Errorf("completed: %w", err)
		}
		if done >= int64(n) {
			return float64(n) / time.Since(start).Seconds(), nil
		}
		select {
		case <-timeout.C:
			return 0, fmt.Errorf("process: the store records %d of %d tasks completed before the timeout", done, n)
		case <-time.After(completedPolling):
		}
	}
}

// pickup starts the handlers on an empty store, creates PickupTasks tasks
// PickupInterval apart and returns the median and 99th percentile, in
// milliseconds, of the time from a create call's return to the start of
// its task's handler (zero when the handler started before the call
// returned).
func pickup(ctx context.Context, s Store) (p50, p99 float64, err error) {
	created := make([]atomic.Int64, PickupTasks)
	started := make([]atomic.Int64, PickupTasks)
	var handled atomic.Int64
	all := make(chan struct{})
	var bad atomic.Value
	err = s.Start(ctx, Handlers, func(p []byte) {
		now := time.Now().UnixNano()
		seq, err := Seq(p)
		if err != nil || seq < 0 || seq >= PickupTasks {
			bad.Store(fmt.Errorf("payload %q does not carry a pickup task number", p))
			return
		}
		started[seq].CompareAndSwap(0, now)
		if handled.Add(1) == PickupTasks {
			close(all)
		}
	})
	if err != nil {
		return 0, 0, fmt.Errorf("start: %w", err)
	}
	tick := time.NewTicker(PickupInterval)
	defer tick.Stop()
	for i := range PickupTasks {
		if err := s.Enqueue(ctx, Payload(i)); err != nil {
			return 0, 0, err
		}
		created[i].Store(time.Now().UnixNano())
		<-tick.C
	}
	select {
	case <-all:
	case <-time.After(2 * time.Minute):
		return 0, 0, fmt.Errorf("pickup: %d of %d tasks handled in 2 minutes", handled.Load(), PickupTasks)
	}
	if e, ok := bad.Load().(error); ok {
		return 0, 0, e
	}
	lat := make([]float64, PickupTasks)
	for i := range lat {
		d := started[i].Load() - created[i].Load()
		lat[i] = max(0, float64(d)/1e6)
	}
	slices.Sort(lat)
	return Quantile(lat, 0.5), Quantile(lat, 0.99), nil
}

// Quantile returns the q-quantile of sorted values, interpolating between
// neighbours; zero for none.
func Quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	pos := q * float64(len(sorted)-1)
	lo := int(pos)
	if lo+1 >= len(sorted) {
		return sorted[len(sorted)-1]
	}
	frac := pos - float64(lo)
	return sorted[lo]*(1-frac) + sorted[lo+1]*frac
}
