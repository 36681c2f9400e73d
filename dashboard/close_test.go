package dashboard_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/dashboard"
	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivers/memory"
)

// hanging is the memory driver whose Count, once hang is set, blocks
// until its context is done, as a call to a dead server might.
type hanging struct {
	*memory.Driver
	hang    atomic.Bool
	blocked chan struct{}
}

func (h *hanging) Count(ctx context.Context, queue string) (map[driver.State]int64, error) {
	if !h.hang.Load() {
		return h.Driver.Count(ctx, queue)
	}
	select {
	case h.blocked <- struct{}{}:
	default:
	}
	<-ctx.Done()
	return nil, ctx.Err()
}

func TestCloseEndsASampleStuckOnTheStore(t *testing.T) {
	t.Parallel()
	d := &hanging{Driver: memory.New(nil), blocked: make(chan struct{}, 1)}
	defer d.Close()
	h, err := dashboard.New(context.Background(), d, &dashboard.Options{Queues: []string{"q"}, SampleInterval: 100 * time.Millisecond})
	require.NoError(t, err)
	d.hang.Store(true)
	select {
	case <-d.blocked:
	case <-time.After(20 * time.Second):
		t.Fatal("the sampler never called Count")
	}
	closed := make(chan error, 1)
	go func() { closed <- h.Close() }()
	select {
	case err := <-closed:
		require.NoError(t, err)
	case <-time.After(20 * time.Second):
		t.Fatal("Close waits on a Count that hangs")
	}
}

// bare is a driver with no capability but the port itself.
type bare struct{ driver.Driver }

func TestNewNeedsAdmin(t *testing.T) {
	t.Parallel()
	d := memory.New(nil)
	defer d.Close()
	_, err := dashboard.New(context.Background(), bare{d}, &dashboard.Options{Queues: []string{"q"}})
	require.ErrorIs(t, err, gosk.ErrUnsupported)
}
