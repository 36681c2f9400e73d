package redis_test

import (
	"bytes"
	"log/slog"
	"net"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivers/redis"
)

// logSink is a log destination safe for concurrent writes.
type logSink struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *logSink) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// deadAddr returns a loopback address where nothing listens.
func deadAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// TestGoRedisLogsGoToTheDriversLogger: the line go-redis logs for a
// connection that failed, which it writes to stderr by default, reaches
// Options.Logger instead, while the call returns the failure as its error;
// once the driver is closed its logger hears no more.
func TestGoRedisLogsGoToTheDriversLogger(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	var sink logSink
	d, err := redis.Open(ctx, "redis://"+deadAddr(t)+"/0", &redis.Options{
		Lazy: true, Logger: slog.New(slog.NewTextHandler(&sink, nil)),
	})
	require.NoError(t, err)
	_, err = d.Get(ctx, 1)
	require.Error(t, err, "the call reports the failure itself")
	require.False(t, driver.IsPortError(err), "a store failure, which callers retry: %v", err)
	require.Contains(t, sink.String(), "failed to dial")
	require.Contains(t, sink.String(), "level=WARN msg=go-redis")
	require.NoError(t, d.Close())

	// Another driver, without a logger, fails to connect: the closed
	// driver's logger hears nothing of it.
	before := sink.String()
	silent, err := redis.Open(ctx, "redis://"+deadAddr(t)+"/0", &redis.Options{Lazy: true})
	require.NoError(t, err)
	defer silent.Close()
	_, err = silent.Get(ctx, 1)
	require.Error(t, err)
	require.Equal(t, before, sink.String())
}
