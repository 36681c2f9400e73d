package redis_test

import (
	"testing"

	"github.com/stretchr/testify/require"

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
