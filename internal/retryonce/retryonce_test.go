package retryonce

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFailedRunIsTriedAgainAndSuccessIsKept(t *testing.T) {
	o := New()
	runs := 0
	boom := errors.New("server down")
	step := func(context.Context) error {
		runs++
		if runs == 1 {
			return boom
		}
		return nil
	}
	require.ErrorIs(t, o.Do(t.Context(), step), boom)
	require.NoError(t, o.Do(t.Context(), step), "a failed run does not count: the next call runs the step again")
	require.NoError(t, o.Do(t.Context(), step))
	assert.Equal(t, 2, runs, "after a success the step never runs again")
}

func TestWaiterGivesUpWithItsContext(t *testing.T) {
	o := New()
	entered, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- o.Do(t.Context(), func(context.Context) error {
			close(entered)
			<-release
			return nil
		})
	}()
	<-entered
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	assert.ErrorIs(t, o.Do(ctx, func(context.Context) error { t.Error("ran while another run held the lock"); return nil }), context.Canceled,
		"a caller waiting for another's run returns when its context ends")
	close(release)
	require.NoError(t, <-done)
}

func TestBeginChecksClosedThenInputThenRunsTheStep(t *testing.T) {
	closed := errors.New("closed")
	invalid := errors.New("invalid")
	ctx := context.Background()
	o := New()
	runs := 0
	step := func(context.Context) error { runs++; return nil }
	open := func() error { return nil }
	shut := func() error { return closed }
	if err := o.Begin(ctx, shut, invalid, step); !errors.Is(err, closed) {
		t.Fatalf("closed store, invalid input: %v, want the closed error", err)
	}
	if err := o.Begin(ctx, open, invalid, step); !errors.Is(err, invalid) {
		t.Fatalf("open store, invalid input: %v, want the input's error", err)
	}
	if runs != 0 {
		t.Fatalf("the step ran %d times before a valid call", runs)
	}
	for range 2 {
		if err := o.Begin(ctx, open, nil, step); err != nil {
			t.Fatal(err)
		}
	}
	if runs != 1 {
		t.Fatalf("the step ran %d times, want once", runs)
	}
}
