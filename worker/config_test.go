package worker_test

// Settings: what New refuses and the defaults it fills.

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/worker"
)

func TestNewRefusesInvalidSettings(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	cases := map[string]struct {
		cfg  worker.Config
		want string
	}{
		"negative concurrency":         {worker.Config{Concurrency: -1}, "Config.Concurrency"},
		"concurrency over the limit":   {worker.Config{Concurrency: worker.ConcurrencyLimit + 1}, "Config.Concurrency 65537 is over ConcurrencyLimit"},
		"concurrency of math.MaxInt":   {worker.Config{Concurrency: math.MaxInt}, "is over ConcurrencyLimit"},
		"prefetch over the limit":      {worker.Config{Prefetch: worker.ConcurrencyLimit + 1}, "Config.Prefetch 65537 is over ConcurrencyLimit"},
		"prefetch of math.MaxInt":      {worker.Config{Concurrency: math.MaxInt / 2, Prefetch: math.MaxInt/2 + 10}, "is over ConcurrencyLimit"},
		"negative lease":               {worker.Config{Lease: -time.Second}, "Config.Lease"},
		"negative ping interval":       {worker.Config{PingInterval: -time.Second}, "Config.PingInterval"},
		"lease of 1ns":                 {worker.Config{Lease: time.Nanosecond}, "Config.Lease 1ns is shorter than MinLease 100ms"},
		"lease of 10µs":                {worker.Config{Lease: 10 * time.Microsecond}, "Config.Lease 10µs is shorter than MinLease 100ms"},
		"lease just under the minimum": {worker.Config{Lease: worker.MinLease - 1}, "shorter than MinLease"},
		"ping interval of 1µs":         {worker.Config{Lease: time.Second, PingInterval: time.Microsecond}, "Config.PingInterval 1µs is shorter than MinPingInterval 1ms"},
		"ping interval equal to lease": {worker.Config{Lease: time.Second, PingInterval: time.Second}, "not shorter than Config.Lease"},
		"ping interval over the lease": {worker.Config{Lease: time.Second, PingInterval: time.Minute}, "not shorter than Config.Lease"},
		"negative poll interval":       {worker.Config{PollInterval: -1}, "Config.PollInterval"},
		"negative finish window":       {worker.Config{FinishWindow: -1}, "Config.FinishWindow"},
		"finish window over pings":     {worker.Config{Lease: time.Second, FinishWindow: time.Second / 2}, "Config.FinishWindow"},
		"negative finish batch":        {worker.Config{FinishBatch: -1}, "Config.FinishBatch"},
		"negative shutdown timeout":    {worker.Config{ShutdownTimeout: -1}, "Config.ShutdownTimeout"},
		"negative handler timeout":     {worker.Config{HandlerTimeout: -1}, "Config.HandlerTimeout"},
		"negative retention":           {worker.Config{Retention: -time.Hour}, "Config.Retention"},
		"negative retention interval":  {worker.Config{RetentionInterval: -1}, "Config.RetentionInterval"},
		"negative retention batch":     {worker.Config{RetentionBatch: -1}, "Config.RetentionBatch"},
		"nil middleware":               {worker.Config{Middleware: []worker.Middleware{nil}}, "Config.Middleware[0]"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w, err := worker.New(f.q, ok, &c.cfg)
			require.ErrorIs(t, err, gosk.ErrInvalid)
			assert.ErrorContains(t, err, c.want)
			assert.Nil(t, w)
		})
	}
	t.Run("unknown rule", func(t *testing.T) {
		t.Parallel()
		_, err := worker.New(f.q, ok, &worker.Config{Rule: gosk.PriorityRule(42)})
		require.ErrorIs(t, err, gosk.ErrUnsupportedPriorityRule)
		assert.ErrorContains(t, err, "Config.Rule")
	})
	t.Run("nil handler", func(t *testing.T) {
		t.Parallel()
		_, err := worker.New[job](f.q, nil, nil)
		require.ErrorIs(t, err, gosk.ErrInvalid)
		assert.ErrorContains(t, err, "handler is nil")
	})
	t.Run("nil queue", func(t *testing.T) {
		t.Parallel()
		_, err := worker.New[job](nil, ok, nil)
		require.ErrorIs(t, err, gosk.ErrInvalid)
		assert.ErrorContains(t, err, "queue is nil")
	})
}

func TestNewFillsDefaults(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	w, err := worker.New(f.q, ok, nil)
	require.NoError(t, err)
	c := w.Config()
	assert.Equal(t, worker.DefaultConcurrency, c.Concurrency)
	assert.Equal(t, gosk.Fifo, c.Rule)
	assert.Equal(t, worker.DefaultLease, c.Lease)
	assert.Equal(t, worker.DefaultLease/3, c.PingInterval)
	assert.Equal(t, worker.DefaultPollInterval, c.PollInterval)
	assert.Equal(t, worker.DefaultFinishWindow, c.FinishWindow)
	assert.Equal(t, worker.DefaultFinishBatch, c.FinishBatch)
	assert.Equal(t, worker.DefaultShutdownTimeout, c.ShutdownTimeout)
	assert.Equal(t, worker.DefaultRetention, c.Retention)
	assert.Equal(t, worker.DefaultRetentionInterval, c.RetentionInterval)
	assert.Equal(t, worker.DefaultRetentionBatch, c.RetentionBatch)
	assert.NotNil(t, c.Backoff)
	assert.NotNil(t, c.Logger)

	w, err = worker.New(f.q, ok, &worker.Config{Lease: 90 * time.Second})
	require.NoError(t, err)
	assert.Equal(t, 30*time.Second, w.Config().PingInterval, "a third of the lease")
}

func TestDefaultBackoffGrowsWithJitterAndCap(t *testing.T) {
	t.Parallel()
	for range 100 {
		d := worker.DefaultBackoff(1)
		assert.True(t, d >= time.Second/2 && d <= time.Second, "attempt 1: %v", d)
		d = worker.DefaultBackoff(4)
		assert.True(t, d >= 4*time.Second && d <= 8*time.Second, "attempt 4: %v", d)
		d = worker.DefaultBackoff(1000)
		assert.True(t, d >= worker.BackoffMax/2 && d <= worker.BackoffMax, "attempt 1000: %v", d)
	}
	seen := map[time.Duration]bool{}
	for range 20 {
		seen[worker.DefaultBackoff(10)] = true
	}
	assert.Greater(t, len(seen), 1, "jittered")
}
