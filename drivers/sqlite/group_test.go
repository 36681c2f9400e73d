package sqlite_test

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/worker"
)

// TestGroupOnFile runs workers of two payload types and a Runner in one
// worker.Group on one file under a budget of 3 handlers, and checks that
// every task runs once, that no more than 3 handlers ever ran at once,
// that no store call failed (the log stays clean) and that one Stop ends
// them all.
func TestGroupOnFile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, _ := openFile(t, nil)
	const n = 60
	nums, err := gosk.NewQueue[int](d, "numbers", nil)
	require.NoError(t, err)
	words, err := gosk.NewQueue[string](d, "words", nil)
	require.NoError(t, err)
	ints := make([]int, n)
	strs := make([]string, n)
	for i := range ints {
		ints[i] = i
		strs[i] = string(rune('a'+i%26)) + string(rune('0'+i/26))
	}
	_, err = nums.CreateMany(ctx, gosk.Items(ints, nil))
	require.NoError(t, err)
	_, err = words.CreateMany(ctx, gosk.Items(strs, nil))
	require.NoError(t, err)

	var running, most atomic.Int32
	enter := func() func() {
		r := running.Add(1)
		for m := most.Load(); r > m && !most.CompareAndSwap(m, r); m = most.Load() {
		}
		return func() { running.Add(-1) }
	}
	var mu sync.Mutex
	runs := map[string]int{}
	count := func(key string) {
		mu.Lock()
		defer mu.Unlock()
		runs[key]++
	}
	logs := &lockedBuffer{}
	var completed atomic.Int64
	g, err := worker.NewGroup(&worker.GroupConfig{
		MaxConcurrency: 3,
		Logger:         slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn})),
		OnEvent: func(e worker.Event) {
			if e.Kind == worker.EventCompleted {
				completed.Add(1)
			}
		},
	})
	require.NoError(t, err)
	cfg := &worker.Config{Concurrency: 8, Lease: time.Minute, Retention: worker.NoRetention}
	wn, err := worker.New(nums, func(_ context.Context, t *gosk.Task[int]) error {
		defer enter()()
		count("n" + string(rune(t.Payload)))
		return nil
	}, cfg)
	require.NoError(t, err)
	ww, err := worker.New(words, func(_ context.Context, t *gosk.Task[string]) error {
		defer enter()()
		count("w" + t.Payload)
		return nil
	}, cfg)
	require.NoError(t, err)
	require.NoError(t, g.Add(wn, &worker.MemberOptions{Weight: 2}))
	require.NoError(t, g.Add(ww, nil))
	ran := make(chan struct{})
	require.NoError(t, g.AddRunner(runnerFunc(func(ctx context.Context) error {
		close(ran)
		<-ctx.Done()
		return ctx.Err()
	})))

	errc := make(chan error, 1)
	go func() { errc <- g.Run(ctx) }()
	<-ran
	require.Eventually(t, func() bool { return completed.Load() == 2*n }, 30*time.Second, 5*time.Millisecond)
	require.NoError(t, g.Stop(ctx))
	require.NoError(t, <-errc)
	<-g.Stopped()

	require.LessOrEqual(t, most.Load(), int32(3), "handlers at once, all queues together")
	mu.Lock()
	require.Len(t, runs, 2*n)
	for k, v := range runs {
		require.Equal(t, 1, v, "task %q ran more than once", k)
	}
	mu.Unlock()
	require.Empty(t, logs.String())
}

// runnerFunc makes a function a worker.Runner.
type runnerFunc func(ctx context.Context) error

func (f runnerFunc) Run(ctx context.Context) error { return f(ctx) }
