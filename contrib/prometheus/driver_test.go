package goskprom

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivers/memory"
)

// TestCreator counts the tasks created through a wrapped Creator, as a
// queue bound with In uses it.
func TestCreator(t *testing.T) {
	mem := memory.New(nil)
	defer mem.Close()
	reg := prometheus.NewRegistry()
	m, err := New(reg, nil)
	require.NoError(t, err)
	q, err := gosk.NewQueue[int](mem, "tx", nil) // the bare driver: only the Creator counts
	require.NoError(t, err)
	_, err = q.In(m.Creator(mem)).CreateMany(t.Context(), gosk.Items([]int{1, 2, 3}, nil))
	require.NoError(t, err)
	require.InDelta(t, 3, testutil.ToFloat64(m.created.WithLabelValues("tx")), 0)
}

// TestNewErrors: New and NewDepthCollector refuse bad input, naming it,
// and a second New on one registry shares the first one's metrics.
func TestNewErrors(t *testing.T) {
	_, err := New(nil, nil)
	require.ErrorIs(t, err, gosk.ErrInvalid)
	require.ErrorContains(t, err, "Registerer")
	_, err = New(prometheus.NewRegistry(), &Options{Buckets: []float64{1, 1}})
	require.ErrorIs(t, err, gosk.ErrInvalid)
	require.ErrorContains(t, err, "Options.Buckets")

	reg := prometheus.NewRegistry()
	a, err := New(reg, nil)
	require.NoError(t, err)
	b, err := New(reg, nil)
	require.NoError(t, err)
	a.created.WithLabelValues("q").Inc()
	require.InDelta(t, 1, testutil.ToFloat64(b.created.WithLabelValues("q")), 0)

	// A metric of the same name but another shape is a clash.
	clash := prometheus.NewRegistry()
	clash.MustRegister(prometheus.NewGauge(prometheus.GaugeOpts{Name: "gosk_tasks_created_total", Help: "x"}))
	_, err = New(clash, nil)
	require.Error(t, err)

	mem := memory.New(nil)
	defer mem.Close()
	_, err = NewDepthCollector(struct{ driver.Driver }{mem}, []string{"q"}, nil)
	require.ErrorIs(t, err, gosk.ErrInvalid)
	require.ErrorContains(t, err, "driver.Admin")
	_, err = NewDepthCollector(mem, nil, nil)
	require.ErrorIs(t, err, gosk.ErrInvalid)
	_, err = NewDepthCollector(mem, []string{""}, nil)
	require.ErrorIs(t, err, gosk.ErrInvalid)
	_, err = NewDepthCollector(mem, []string{"q"}, &DepthOptions{Timeout: -time.Second})
	require.ErrorIs(t, err, gosk.ErrInvalid)
	require.ErrorContains(t, err, "DepthOptions.Timeout")
}

// TestDepthDown: a queue whose Count fails is reported down, with no
// counts, and the scrape still succeeds.
func TestDepthDown(t *testing.T) {
	mem := memory.New(nil)
	c, err := NewDepthCollector(mem, []string{"q"}, &DepthOptions{Namespace: "app"})
	require.NoError(t, err)
	require.NoError(t, mem.Close())
	_, err = mem.Count(t.Context(), "q")
	require.True(t, errors.Is(err, gosk.ErrClosed), "a closed driver's Count fails: %v", err)
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	require.InDelta(t, 0, testutil.ToFloat64(c), 0, "the one metric left is app_queue_depth_up 0")
	n, err := testutil.GatherAndCount(reg, "app_queue_tasks")
	require.NoError(t, err)
	require.Zero(t, n)
}

// slowCount is a driver whose Count answers only when its context ends.
type slowCount struct{ *memory.Driver }

func (s slowCount) Count(ctx context.Context, _ string) (map[driver.State]int64, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// TestDepthTimeout: a Count that does not answer within
// DepthOptions.Timeout leaves its queue down, and the scrape returns.
func TestDepthTimeout(t *testing.T) {
	mem := memory.New(nil)
	defer mem.Close()
	c, err := NewDepthCollector(slowCount{mem}, []string{"a", "b"}, &DepthOptions{Timeout: 20 * time.Millisecond})
	require.NoError(t, err)
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP gosk_queue_depth_up 1 if the queue's tasks could be counted at this scrape, else 0.
# TYPE gosk_queue_depth_up gauge
gosk_queue_depth_up{queue="a"} 0
gosk_queue_depth_up{queue="b"} 0
# HELP gosk_queue_paused 1 if the queue is paused, else 0.
# TYPE gosk_queue_paused gauge
gosk_queue_paused{queue="a"} 0
gosk_queue_paused{queue="b"} 0
`)))
}
