package worker_test

// Results: what a handler sets with Task.SetResult is stored with the
// task it completes, in the same batch as its neighbours' results, and
// nothing is stored for a run that does not complete.

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/worker"
)

func TestResultIsStoredWithTheCompletedTask(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	ids := f.create(20, &gosk.CreateOptions{MaxAttempts: 1})
	var ev events
	w, err := worker.New(f.q, func(_ context.Context, task *gosk.Task[job]) error {
		switch task.Payload.N % 4 {
		case 0: // a result
			return task.SetResult(map[string]int{"double": 2 * task.Payload.N})
		case 1: // none
			return nil
		case 2: // a result, then an error: nothing stored
			require.NoError(t, task.SetResult("partial"))
			return errors.New("boom")
		default: // longer than the limit, set by hand: the run's error
			task.Result = make([]byte, gosk.MaxResultLen+1)
			return nil
		}
	}, &worker.Config{Concurrency: 20, OnEvent: ev.add})
	require.NoError(t, err)
	require.NoError(t, w.Work(context.Background()))
	byID := map[int64]worker.Event{}
	for _, e := range ev.list() {
		byID[e.Task.ID] = e
	}
	for n, id := range ids {
		task := f.get(id)
		e := byID[id]
		var got map[string]int
		switch n % 4 {
		case 0:
			require.Equal(t, gosk.StateCompleted, task.State)
			require.NoError(t, task.DecodeResult(&got))
			assert.Equal(t, map[string]int{"double": 2 * n}, got, "task %d keeps its own result", n)
			assert.JSONEq(t, string(task.Result), string(e.Result), "the event carries the stored result")
		case 1:
			require.Equal(t, gosk.StateCompleted, task.State)
			assert.ErrorIs(t, task.DecodeResult(&got), gosk.ErrNoResult)
			assert.Nil(t, e.Result)
		case 2:
			require.Equal(t, gosk.StateFailed, task.State)
			assert.ErrorIs(t, task.DecodeResult(&got), gosk.ErrNoResult, "a run that fails stores no result")
			assert.Nil(t, e.Result)
		default:
			require.Equal(t, gosk.StateFailed, task.State, "an over-long result fails the run, never completes it without")
			assert.Contains(t, task.LastError, "longer than gosk.MaxResultLen")
			assert.ErrorIs(t, e.Err, gosk.ErrInvalid)
			assert.Equal(t, worker.EventFailed, e.Kind)
			assert.ErrorIs(t, task.DecodeResult(&got), gosk.ErrNoResult)
		}
	}
}
