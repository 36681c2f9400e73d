package gosktest_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/gosktest"
	"github.com/gosk/gosk/worker"
)

type email struct {
	To      string `json:"to"`
	Subject string `json:"subject"`
	secret  string // not exported: lost by JSON, as in a store round trip
}

func returns(err error) worker.Handler[email] {
	return func(context.Context, *gosk.Task[email]) error { return err }
}

func TestRunDecidesAsTheWorker(t *testing.T) {
	backoff := func(attempt int) time.Duration { return time.Duration(attempt) * time.Second }
	boom := errors.New("boom")
	cases := []struct {
		name    string
		h       worker.Handler[email]
		attempt int
		kind    worker.EventKind
		delay   time.Duration
	}{
		{"nil completes", returns(nil), 1, worker.EventCompleted, 0},
		{"ErrCancelTask cancels", returns(fmt.Errorf("no address: %w", gosk.ErrCancelTask)), 1, worker.EventCancelled, 0},
		{"Snooze snoozes", returns(gosk.Snooze(time.Minute)), 1, worker.EventSnoozed, time.Minute},
		{"an error retries after Config.Backoff", returns(boom), 2, worker.EventRetried, 2 * time.Second},
		{"an error on the last attempt fails", returns(boom), 3, worker.EventFailed, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ev := gosktest.Run(t, c.h, email{To: "a@example.com"}, &gosktest.RunOptions{
				Attempt: c.attempt, MaxAttempts: 3, Config: &worker.Config{Backoff: backoff},
			})
			require.Equal(t, c.kind, ev.Kind, "event %+v", ev)
			require.Equal(t, c.delay, ev.Delay)
			require.Equal(t, c.attempt, ev.Task.Attempt)
		})
	}
}

func TestRunHandsTheTaskAndADecodedPayload(t *testing.T) {
	var got *gosk.Task[email]
	ev := gosktest.Run(t, func(_ context.Context, task *gosk.Task[email]) error {
		got = task
		return nil
	}, email{To: "a@example.com", Subject: "hi", secret: "s"}, &gosktest.RunOptions{ID: 42, Queue: "emails", Attempt: 2, MaxAttempts: 5, Priority: 7})
	require.Equal(t, worker.EventCompleted, ev.Kind)
	require.NotNil(t, got)
	require.Equal(t, email{To: "a@example.com", Subject: "hi"}, got.Payload, "the payload went through JSON: the unexported field is lost")
	require.Equal(t, int64(42), got.ID)
	require.Equal(t, "emails", got.Queue)
	require.Equal(t, 2, got.Attempt)
	require.Equal(t, 5, got.MaxAttempts)
	require.Equal(t, 7, got.Priority)
	require.Equal(t, gosk.StateRunning, got.State)
	require.Equal(t, worker.TaskInfo{ID: 42, Queue: "emails", Attempt: 2, MaxAttempts: 5, Priority: 7}, ev.Task)
}

func TestRunDefaults(t *testing.T) {
	var got *gosk.Task[email]
	gosktest.Run(t, func(_ context.Context, task *gosk.Task[email]) error {
		got = task
		return nil
	}, email{}, nil)
	require.Equal(t, int64(1), got.ID)
	require.Equal(t, gosktest.DefaultQueue, got.Queue)
	require.Equal(t, 1, got.Attempt)
	require.Equal(t, gosk.DefaultMaxAttempts, got.MaxAttempts)

	ev := gosktest.Run(t, returns(errors.New("boom")), email{}, nil)
	require.Equal(t, worker.EventRetried, ev.Kind)
	require.GreaterOrEqual(t, ev.Delay, worker.BackoffBase/2, "the default back-off is worker.DefaultBackoff")
	require.LessOrEqual(t, ev.Delay, worker.BackoffBase)
}

func TestRunRecoversPanics(t *testing.T) {
	ev := gosktest.Run(t, func(context.Context, *gosk.Task[email]) error { panic("oops") }, email{}, nil)
	require.Equal(t, worker.EventRetried, ev.Kind)
	var pe *worker.PanicError
	require.ErrorAs(t, ev.Err, &pe)
	require.Equal(t, "oops", pe.Value)
	require.NotEmpty(t, pe.Stack)
}

func TestRunCallsMiddlewareOutermostFirst(t *testing.T) {
	var order []string
	mw := func(name string) worker.Middleware {
		return func(ctx context.Context, info worker.TaskInfo, next func(context.Context) error) error {
			order = append(order, name+" "+info.Queue)
			err := next(ctx)
			order = append(order, name+" done")
			return err
		}
	}
	ev := gosktest.Run(t, func(context.Context, *gosk.Task[email]) error {
		order = append(order, "handler")
		return nil
	}, email{}, &gosktest.RunOptions{Queue: "emails", Config: &worker.Config{Middleware: []worker.Middleware{mw("outer"), mw("inner")}}})
	require.Equal(t, worker.EventCompleted, ev.Kind)
	require.Equal(t, []string{"outer emails", "inner emails", "handler", "inner done", "outer done"}, order)

	// A middleware may change the outcome, as in a worker.
	cancel := func(context.Context, worker.TaskInfo, func(context.Context) error) error { return gosk.ErrCancelTask }
	ev = gosktest.Run(t, returns(nil), email{}, &gosktest.RunOptions{Config: &worker.Config{Middleware: []worker.Middleware{cancel}}})
	require.Equal(t, worker.EventCancelled, ev.Kind)
}

func TestRunHandlerTimeout(t *testing.T) {
	ev := gosktest.Run(t, func(ctx context.Context, _ *gosk.Task[email]) error {
		<-ctx.Done()
		return context.Cause(ctx)
	}, email{}, &gosktest.RunOptions{Config: &worker.Config{HandlerTimeout: time.Millisecond}})
	require.Equal(t, worker.EventRetried, ev.Kind)
	require.ErrorIs(t, ev.Err, worker.ErrHandlerTimeout)
}

// badCodec encodes with JSON but fails to decode.
type badCodec struct{ gosk.JSONCodec }

func (badCodec) Unmarshal([]byte, any) error { return errors.New("cannot decode") }

func TestRunPayloadThatDoesNotDecodeIsRetriedWithoutTheHandler(t *testing.T) {
	called := false
	ev := gosktest.Run(t, func(context.Context, *gosk.Task[email]) error {
		called = true
		return nil
	}, email{}, &gosktest.RunOptions{Codec: badCodec{}})
	require.False(t, called, "a worker does not call the handler on a payload it cannot decode")
	require.Equal(t, worker.EventRetried, ev.Kind)
	require.EqualError(t, ev.Err, "gosk: decode payload of task 1: cannot decode", "the error a worker records, from Queue.Decode")
}

func TestRunFails(t *testing.T) {
	cases := []struct {
		name string
		run  func(tb testing.TB)
		want string
	}{
		{"nil handler", func(tb testing.TB) { gosktest.Run[email](tb, nil, email{}, nil) }, "gosktest: Run: the handler is nil"},
		{"attempt past max", func(tb testing.TB) {
			gosktest.Run(tb, returns(nil), email{}, &gosktest.RunOptions{Attempt: 4, MaxAttempts: 3})
		}, "gosktest: Run: RunOptions.Attempt 4 is not in [1, MaxAttempts 3]"},
		{"payload that does not encode", func(tb testing.TB) {
			gosktest.Run(tb, func(context.Context, *gosk.Task[chan int]) error { return nil }, make(chan int), nil)
		}, "gosktest: Run: the payload does not encode with gosk.JSONCodec, so it could not be created: json: unsupported type: chan int"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := check(t, c.run)
			require.True(t, r.Failed())
			require.Equal(t, c.want, r.message())
		})
	}
}

func TestRunHandlerFailNowEndsTheTest(t *testing.T) {
	returned := false
	r := check(t, func(tb testing.TB) {
		gosktest.Run(tb, func(context.Context, *gosk.Task[email]) error {
			tb.Fatalf("handler saw something wrong")
			return nil
		}, email{}, nil)
		returned = true
	})
	require.False(t, returned, "Run returned after the handler's FailNow")
	require.Equal(t, "handler saw something wrong", r.message())
}

// A handler's result comes back as the Event's Result, encoded with the
// run's codec; a run that does not complete has none; an over-long result
// is refused by SetResult, and one set by hand makes the run an error.
func TestRunReturnsTheResult(t *testing.T) {
	ev := gosktest.Run(t, func(_ context.Context, task *gosk.Task[email]) error {
		return task.SetResult(map[string]string{"sent": task.Payload.To})
	}, email{To: "ada@example.com"}, nil)
	require.Equal(t, worker.EventCompleted, ev.Kind)
	require.JSONEq(t, `{"sent":"ada@example.com"}`, string(ev.Result))

	ev = gosktest.Run(t, func(_ context.Context, task *gosk.Task[[]byte]) error {
		return task.SetResult([]byte("raw"))
	}, []byte("payload"), &gosktest.RunOptions{Codec: gosk.BytesCodec{}})
	require.Equal(t, []byte("raw"), ev.Result, "the result is encoded with RunOptions.Codec")

	ev = gosktest.Run(t, func(_ context.Context, task *gosk.Task[email]) error {
		require.NoError(t, task.SetResult("partial"))
		return errors.New("boom")
	}, email{}, nil)
	require.Equal(t, worker.EventRetried, ev.Kind)
	require.Nil(t, ev.Result, "a run that does not complete stores no result")

	ev = gosktest.Run(t, func(_ context.Context, task *gosk.Task[email]) error {
		return task.SetResult(make([]byte, gosk.MaxResultLen)) // JSON: base64, longer
	}, email{}, nil)
	require.Equal(t, worker.EventRetried, ev.Kind, "the handler returned SetResult's error")
	require.ErrorIs(t, ev.Err, gosk.ErrInvalid)
	require.ErrorContains(t, ev.Err, "longer than MaxResultLen")

	ev = gosktest.Run(t, func(_ context.Context, task *gosk.Task[email]) error {
		task.Result = make([]byte, gosk.MaxResultLen+1)
		return nil
	}, email{}, &gosktest.RunOptions{MaxAttempts: 1})
	require.Equal(t, worker.EventFailed, ev.Kind, "an over-long Task.Result set by hand is the run's error")
	require.ErrorIs(t, ev.Err, gosk.ErrInvalid)
	require.Nil(t, ev.Result)
}
