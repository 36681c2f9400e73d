package redis_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivers/redis"
	"github.com/gosk/gosk/internal/adaptertest"
)

// A Lazy driver whose server is down refuses invalid input with
// ErrInvalid before it tries the server, and any input with ErrClosed once
// closed.
func TestChecksClosedThenInputThenStore(t *testing.T) {
	t.Parallel()
	d, err := redis.Open(t.Context(), "redis://"+deadAddr(t)+"/0", &redis.Options{Lazy: true})
	require.NoError(t, err)
	adaptertest.InputBeforeStore(t, d)
}

// Per-item errors of Ping, Finish, Retry and Cancel name their task.
func TestPerItemErrorsNameTheirTask(t *testing.T) {
	t.Parallel()
	d := newDriver(t, singleClient(t), nil)
	defer d.Close()
	adaptertest.TaskErrors(t, d)
}

// A result is in the store: a driver made later on the prefix reads it.
func TestResultSurvivesReopen(t *testing.T) {
	t.Parallel()
	client := singleClient(t)
	prefix := testPrefix()
	first := newDriver(t, client, &redis.Options{Prefix: prefix})
	adaptertest.ResultSurvivesReopen(t, first, func() driver.Driver {
		d, err := redis.New(t.Context(), client, &redis.Options{Prefix: prefix})
		require.NoError(t, err)
		t.Cleanup(func() { _ = d.Close() })
		return d
	})
}
