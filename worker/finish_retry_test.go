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
	"github.com/gosk/gosk/drivers/memory"
	"github.com/gosk/gosk/worker"
)

// answerLost is a memory driver whose first lose Finish calls are stored
// but answered with an error, as when the store's answer is lost on the
// way back.
type answerLost struct {
	*memory.Driver
	mu   sync.Mutex
	lose int
}

func (d *answerLost) Finish(ctx context.Context, o []driver.Outcome) ([]error, error) {
	errs, err := d.Driver.Finish(ctx, o)
	d.mu.Lock()
	defer d.mu.Unlock()
	if err == nil && d.lose > 0 {
		d.lose--
		return nil, errStore
	}
	return errs, err
}

// A finish retried after its first answer was lost gets ErrTaskConflict
// from the driver (the lease already ended its run), which the worker
// takes as "stored": the run ends with its own event, not a lost lease.
func TestFinishRetriedAfterALostAnswerReportsTheStoredOutcome(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		handler func(context.Context, *gosk.Task[job]) error
		want    worker.EventKind
		state   gosk.State
	}{
		{"release", func(context.Context, *gosk.Task[job]) error { return errors.New("boom") }, worker.EventRetried, gosk.StatePending},
		{"complete", func(context.Context, *gosk.Task[job]) error { return nil }, worker.EventCompleted, gosk.StateCompleted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			mem := memory.New(nil)
			t.Cleanup(func() { _ = mem.Close() })
			d := &answerLost{Driver: mem, lose: 1}
			q, err := gosk.NewQueue[job](d, "jobs", nil)
			require.NoError(t, err)
			res, err := q.CreateMany(context.Background(), gosk.Items([]job{{N: 1}}, &gosk.CreateOptions{MaxAttempts: 3}))
			require.NoError(t, err)
			id := res[0].ID
			var ev events
			w, err := worker.New(q, tc.handler, &worker.Config{
				PollInterval: 5 * time.Millisecond,
				OnEvent:      ev.add,
				// The retry waits long after the test, so that no claim of
				// the released task can race the finish's retry.
				Backoff: func(int) time.Duration { return time.Hour },
			})
			require.NoError(t, err)
			stop := start(t, w)
			require.Eventually(t, func() bool { return len(ev.list()) > 0 }, wait, tick)
			require.NoError(t, stop())
			assert.Equal(t, map[worker.EventKind]int{tc.want: 1}, ev.kinds(),
				"a finish whose first answer was lost and that the retry finds stored (ErrTaskConflict) is %v, not a lost lease", tc.want)
			task, err := q.Get(context.Background(), id)
			require.NoError(t, err)
			assert.Equal(t, tc.state, task.State)
			assert.Equal(t, 1, task.Attempt, "the outcome was stored once")
		})
	}
}
