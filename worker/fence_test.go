package worker_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/worker"
)

// TestHandlerGetsItsClaimsFence checks that the handler's task carries the
// lease token of the claim it runs under (a ping with it holds), and that
// each attempt's fence is greater than the attempts' before it.
func TestHandlerGetsItsClaimsFence(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	id := f.create(1, &gosk.CreateOptions{MaxAttempts: 3})[0]
	var mu sync.Mutex
	var fences []int64
	var pingErrs []error
	w, err := worker.New(f.q, func(ctx context.Context, task *gosk.Task[job]) error {
		errs, err := f.mem.Ping(ctx, []driver.Lease{{TaskID: task.ID, Token: task.Fence}}, time.Minute)
		mu.Lock()
		defer mu.Unlock()
		fences = append(fences, task.Fence)
		if err == nil {
			err = errs[0]
		}
		pingErrs = append(pingErrs, err)
		if task.Attempt < 3 {
			return errors.New("again")
		}
		return nil
	}, &worker.Config{PollInterval: 5 * time.Millisecond, Backoff: func(int) time.Duration { return 0 }})
	require.NoError(t, err)
	stop := start(t, w)
	require.Eventually(t, func() bool { return f.get(id).State == gosk.StateCompleted }, wait, tick)
	require.NoError(t, stop())
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, fences, 3, "three attempts")
	for i, err := range pingErrs {
		assert.NoError(t, err, "attempt %d: a ping with the task's fence holds: it is the claim's lease token", i+1)
	}
	assert.Positive(t, fences[0])
	for i := 1; i < len(fences); i++ {
		assert.Greater(t, fences[i], fences[i-1], "each attempt's fence is greater than the one before: %v", fences)
	}
	assert.Zero(t, f.get(id).Fence, "Get does not see lease tokens")
}
