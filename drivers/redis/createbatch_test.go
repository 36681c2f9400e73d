package redis_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
	goskredis "github.com/gosk/gosk/drivers/redis"
)

// Concurrent Creates share round trips with the results of serial calls:
// of many callers racing for one unique key exactly one stores its task and
// the others get ErrDuplicate naming it; an invalid caller fails alone;
// callers of other queues (other slots) are stored.
func TestCreateCoalescedResults(t *testing.T) {
	t.Parallel()
	c := singleClient(t)
	d := newDriver(t, c, nil)
	defer d.Close()
	ctx := t.Context()
	const n = 64
	type res struct {
		out []driver.CreateResult
		err error
	}
	got := make([]res, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			var tasks []driver.NewTask
			switch i % 4 {
			case 0: // all race for one key
				tasks = []driver.NewTask{{Queue: "u", Payload: fmt.Appendf(nil, "%d", i), MaxAttempts: 1, UniqueKey: "k"}}
			case 1: // invalid: no queue
				tasks = []driver.NewTask{{Payload: []byte("x"), MaxAttempts: 1}}
			case 2: // two tasks, two queues
				tasks = []driver.NewTask{
					{Queue: "a", Payload: fmt.Appendf(nil, "%d", i), MaxAttempts: 1},
					{Queue: "b", Payload: fmt.Appendf(nil, "%d", i), MaxAttempts: 1},
				}
			default:
				tasks = []driver.NewTask{{Queue: "a", Payload: fmt.Appendf(nil, "%d", i), MaxAttempts: 1}}
			}
			out, err := d.Create(ctx, tasks)
			got[i] = res{out, err}
		})
	}
	wg.Wait()
	var winner int64
	dups := 0
	for i, r := range got {
		switch i % 4 {
		case 0:
			require.NoError(t, r.err)
			require.Len(t, r.out, 1)
			if r.out[0].Err == nil {
				require.Zero(t, winner, "one caller wins the key")
				winner = r.out[0].ID
			} else {
				require.ErrorIs(t, r.out[0].Err, driver.ErrDuplicate)
				dups++
			}
		case 1:
			require.ErrorIs(t, r.err, driver.ErrInvalid, "caller %d", i)
		case 2:
			require.NoError(t, r.err)
			require.Len(t, r.out, 2)
			require.NoError(t, r.out[0].Err)
			require.NoError(t, r.out[1].Err)
		default:
			require.NoError(t, r.err)
			require.Len(t, r.out, 1)
			require.NoError(t, r.out[0].Err)
		}
	}
	require.NotZero(t, winner)
	require.Equal(t, n/4-1, dups)
	for i, r := range got {
		if i%4 == 0 && r.out[0].Err != nil {
			require.Equal(t, winner, r.out[0].ID, "a duplicate names the holder")
		}
	}
	told := map[int64]bool{}
	for _, r := range got {
		for _, o := range r.out {
			if o.Err == nil {
				require.False(t, told[o.ID], "ID %d given twice", o.ID)
				told[o.ID] = true
			}
		}
	}
	for q, want := range map[string]int{"u": 1, "a": n / 2, "b": n / 4} {
		recs, err := d.List(ctx, driver.ListParams{Queue: q, Limit: 1000})
		require.NoError(t, err)
		require.Len(t, recs, want, "queue %s", q)
		for _, rec := range recs {
			require.True(t, told[rec.ID], "task %d of queue %s was stored but no caller was told so", rec.ID, q)
		}
	}
}

// A caller waiting behind the creates in flight whose context ends returns
// its context's error and its task is not stored; a caller waiting with it
// is stored when those in flight return.
func TestCreateCoalescedCancel(t *testing.T) {
	t.Parallel()
	c := singleClient(t)
	d := newDriver(t, c, nil)
	defer d.Close()
	ctx := t.Context()
	entered := make(chan struct{}, goskredis.CreatesInFlight+2)
	release := make(chan struct{})
	goskredis.HoldCreates(d, func() {
		entered <- struct{}{}
		<-release
	})
	nt := func(p string) []driver.NewTask {
		return []driver.NewTask{{Queue: "q", Payload: []byte(p), MaxAttempts: 1}}
	}
	errs := make(chan error, goskredis.CreatesInFlight+1)
	var want []string
	for i := range goskredis.CreatesInFlight {
		p := fmt.Sprintf("lead%d", i)
		want = append(want, p)
		go func() { _, err := d.Create(ctx, nt(p)); errs <- err }()
		<-entered
	}
	cctx, cancel := context.WithCancel(ctx)
	cancelled := make(chan error, 1)
	go func() { _, err := d.Create(cctx, nt("cancelled")); cancelled <- err }()
	go func() { _, err := d.Create(ctx, nt("kept")); errs <- err }()
	for goskredis.WaitingCreates(d) < 2 {
		select {
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		default:
			runtime.Gosched()
		}
	}
	cancel()
	require.True(t, errors.Is(<-cancelled, context.Canceled))
	close(release)
	for range goskredis.CreatesInFlight + 1 {
		require.NoError(t, <-errs)
	}
	recs, err := d.List(ctx, driver.ListParams{Queue: "q"})
	require.NoError(t, err)
	var payloads []string
	for _, r := range recs {
		payloads = append(payloads, string(r.Payload))
	}
	require.ElementsMatch(t, append(want, "kept"), payloads)
}
