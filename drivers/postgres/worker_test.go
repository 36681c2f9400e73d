package postgres_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivers/postgres"
	"github.com/gosk/gosk/worker"
)

// withAppName tags the connections of a driver so that a test can find (and
// kill) exactly its own backends and no one else's.
func withAppName(url, name string) string {
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	return url + sep + "application_name=" + name
}

// countingHandler counts log records at warning level and above.
type countingHandler struct {
	slog.Handler
	warnings *atomic.Int64
}

func (h countingHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn {
		h.warnings.Add(1)
	}
	return h.Handler.Handle(ctx, r)
}

func (h countingHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return countingHandler{h.Handler.WithAttrs(as), h.warnings}
}

func (h countingHandler) WithGroup(g string) slog.Handler {
	return countingHandler{h.Handler.WithGroup(g), h.warnings}
}

// TestWorkerSurvivesKilledConnections kills every connection of a driver
// (pool and listener) with pg_terminate_backend, several times, while a
// worker with 16 handlers holds tasks. The worker must log the failures,
// retry, carry on, and complete every task exactly once.
func TestWorkerSurvivesKilledConnections(t *testing.T) {
	t.Parallel()
	url := serverURL(t)
	schema := testSchema(t, url)
	var warnings atomic.Int64
	logger := slog.New(countingHandler{slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}), &warnings})
	d, err := postgres.Open(context.Background(), withAppName(url, schema), &postgres.Options{Schema: schema, MaxConns: 8, Logger: logger})
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close() })

	const n, rounds = 400, 4
	q, err := gosk.NewQueue[int](d, "killed", nil)
	require.NoError(t, err)
	vs := make([]int, n)
	for i := range vs {
		vs[i] = i
	}
	_, err = q.CreateMany(context.Background(), gosk.Items(vs, &gosk.CreateOptions{MaxAttempts: 5}))
	require.NoError(t, err)

	var (
		mu   sync.Mutex
		runs = make(map[int]int)
	)
	gate := make(chan struct{}, n) // one token per handler run the test allows
	w, err := worker.New(q, func(ctx context.Context, task *gosk.Task[int]) error {
		select {
		case <-gate:
		case <-ctx.Done():
			return ctx.Err()
		}
		mu.Lock()
		runs[task.Payload]++
		mu.Unlock()
		return nil
	}, &worker.Config{
		Concurrency:  16,
		Lease:        30 * time.Second,
		PollInterval: 50 * time.Millisecond,
		Logger:       logger,
		Backoff:      func(int) time.Duration { return 10 * time.Millisecond },
	})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()

	killer, err := pgx.Connect(context.Background(), url)
	require.NoError(t, err)
	defer killer.Close(context.Background()) //nolint:errcheck
	completed := func() int64 {
		c, err := d.Count(context.Background(), "killed")
		if err != nil {
			return -1 // the pool may be reconnecting
		}
		return c["completed"]
	}
	for round := 1; round <= rounds; round++ {
		for range n / rounds {
			gate <- struct{}{}
		}
		// Kill while handlers hold running tasks: wait until the worker is
		// busy with this round, then terminate every backend of the driver.
		want := int64(round * n / rounds)
		require.Eventually(t, func() bool { return completed() >= want-int64(n/rounds)/2 }, 30*time.Second, 10*time.Millisecond)
		var killed int
		require.NoError(t, killer.QueryRow(context.Background(),
			"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1", schema).Scan(&killed))
		t.Logf("round %d: killed %d backends", round, killed)
		require.Positive(t, killed)
	}
	require.Eventually(t, func() bool { return completed() == n }, 60*time.Second, 10*time.Millisecond,
		"every task ends completed")
	cancel()
	require.NoError(t, <-done)

	mu.Lock()
	defer mu.Unlock()
	require.Len(t, runs, n, "every task was handled")
	for v, c := range runs {
		require.Equal(t, 1, c, "task %d handled once", v)
	}
	counts, err := d.Count(context.Background(), "killed")
	require.NoError(t, err)
	require.Equal(t, int64(n), counts["completed"])
	require.Positive(t, warnings.Load(), "the lost connections were logged")
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// The listener reconnects by itself after its connection is killed, wakes
// its subscribers (notifications may have been missed), and delivers
// notifications again.
func TestListenerReconnects(t *testing.T) {
	t.Parallel()
	url := serverURL(t)
	schema := testSchema(t, url)
	d, err := postgres.Open(context.Background(), withAppName(url, schema), &postgres.Options{Schema: schema, ReconnectMin: 10 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close() })
	ctx := context.Background()
	sub, err := d.Subscribe(ctx, "n")
	require.NoError(t, err)
	defer sub.Stop()
	awaitWake := func(what string) {
		t.Helper()
		select {
		case <-sub.Wake:
		case <-time.After(10 * time.Second):
			t.Fatalf("no wake-up: %s", what)
		}
	}

	killer := connect(t, url)
	var killed int
	require.NoError(t, killer.QueryRow(ctx,
		"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN%'", schema).Scan(&killed))
	require.Equal(t, 1, killed, "one listener connection")
	awaitWake("after the reconnect")

	_, err = d.Create(ctx, []driver.NewTask{task("n")})
	require.NoError(t, err)
	awaitWake("for a task created after the reconnect")
}
