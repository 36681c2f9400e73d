package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivers/postgres"
)

// createCall is one Create call run in its own goroutine.
type createCall struct {
	res  []driver.CreateResult
	err  error
	done chan struct{}
}

// startCreate runs d.Create(ctx, tasks) in a goroutine and, when queued is
// true, waits until the call waits in d's create queue, so that calls
// queue in the order they are started.
func startCreate(t *testing.T, d *postgres.Driver, ctx context.Context, tasks []driver.NewTask, queued bool) *createCall {
	t.Helper()
	before := postgres.QueuedCreates(d)
	c := &createCall{done: make(chan struct{})}
	go func() {
		defer close(c.done)
		c.res, c.err = d.Create(ctx, tasks)
	}()
	if queued {
		require.Eventually(t, func() bool { return postgres.QueuedCreates(d) == before+1 },
			10*time.Second, time.Millisecond, "the call did not queue")
	}
	return c
}

// holdFirstGroup makes the first create group of d wait in its leader
// until the returned release is called, and records the size of every
// group; started is closed once the first group is held.
func holdFirstGroup(d *postgres.Driver) (started <-chan struct{}, release func(), sizes func() []int) {
	var mu sync.Mutex
	var got []int
	held, gate := make(chan struct{}), make(chan struct{})
	var once sync.Once
	postgres.SetGroupHook(d, func(_ context.Context, calls int) {
		mu.Lock()
		got = append(got, calls)
		first := len(got) == 1
		mu.Unlock()
		if first {
			close(held)
			<-gate
		}
	})
	return held, func() { once.Do(func() { close(gate) }) }, func() []int {
		mu.Lock()
		defer mu.Unlock()
		return append([]int(nil), got...)
	}
}

// Creates that queue behind a group in flight go together in the next
// group, and each is answered as if the calls had run one after another:
// the first call with a unique key gets the task, later calls with that key
// ErrDuplicate and its ID, a key held in the store ErrDuplicate and the
// holder's ID. A call cancelled while queued stores nothing and returns
// its context's error; invalid input fails its own call only, never
// queued; a call without unique keys does not wait behind calls with keys.
func TestGroupedCreatesAnswerAsSerial(t *testing.T) {
	t.Parallel()
	d := newDriver(t)
	ctx := context.Background()
	keyed := func(key string) driver.NewTask {
		return driver.NewTask{Queue: "g", Payload: []byte(key), MaxAttempts: 1, UniqueKey: key}
	}
	res, err := d.Create(ctx, []driver.NewTask{keyed("held")})
	require.NoError(t, err)
	holder := res[0].ID

	started, release, sizes := holdFirstGroup(d)
	defer release()
	first := startCreate(t, d, ctx, []driver.NewTask{keyed("first")}, false)
	<-started

	c1 := startCreate(t, d, ctx, []driver.NewTask{keyed("k")}, true)
	quit, cancel := context.WithCancel(ctx)
	gone := startCreate(t, d, quit, []driver.NewTask{keyed("gone")}, true)
	c2 := startCreate(t, d, ctx, []driver.NewTask{keyed("k")}, true)
	c3 := startCreate(t, d, ctx, []driver.NewTask{keyed("held")}, true)
	c4 := startCreate(t, d, ctx, []driver.NewTask{task("g"), keyed("m"), keyed("m")}, true)
	_, err = d.Create(ctx, []driver.NewTask{{Queue: "g", MaxAttempts: 0}})
	require.ErrorIs(t, err, driver.ErrInvalid, "invalid input fails its own call at once")
	require.Equal(t, 5, postgres.QueuedCreates(d), "the invalid call did not queue")

	plain, err := d.Create(ctx, []driver.NewTask{task("g")})
	require.NoError(t, err, "a call without keys does not wait behind a group with keys")
	require.NoError(t, plain[0].Err)

	cancel()
	<-gone.done
	require.ErrorIs(t, gone.err, context.Canceled, "a call cancelled while queued returns its context's error")
	require.Equal(t, 4, postgres.QueuedCreates(d), "the cancelled call left the queue")

	release()
	for _, c := range []*createCall{first, c1, c2, c3, c4} {
		<-c.done
		require.NoError(t, c.err)
	}
	require.Equal(t, []int{1, 1, 4}, sizes(), "the held group, the call without keys, then the four queued calls as one group")

	require.NoError(t, first.res[0].Err)
	require.NoError(t, c1.res[0].Err, "the first call with key k gets the task")
	require.ErrorIs(t, c2.res[0].Err, driver.ErrDuplicate, "a later call with key k in the same group")
	require.Equal(t, c1.res[0].ID, c2.res[0].ID)
	require.ErrorIs(t, c3.res[0].Err, driver.ErrDuplicate, "a key held in the store")
	require.Equal(t, holder, c3.res[0].ID)
	require.Len(t, c4.res, 3)
	require.NoError(t, c4.res[0].Err)
	require.NoError(t, c4.res[1].Err)
	require.ErrorIs(t, c4.res[2].Err, driver.ErrDuplicate)
	require.Equal(t, c4.res[1].ID, c4.res[2].ID)

	recs, err := d.List(ctx, driver.ListParams{Queue: "g"})
	require.NoError(t, err)
	stored := make(map[int64]string)
	for _, r := range recs {
		stored[r.ID] = string(r.Payload)
	}
	require.Equal(t, map[int64]string{
		holder: "held", first.res[0].ID: "first", plain[0].ID: "x", c1.res[0].ID: "k", c4.res[0].ID: "x", c4.res[1].ID: "m",
	}, stored, "each created task once, nothing of the cancelled call")
}

// A call whose context ends after its group was taken gets the group's
// outcome, which is its own: its task is stored and it returns no error.
// Only when every call of a group has ended is the group's statement
// cancelled, and then none of them stores anything.
func TestGroupedCreateCancelledInFlight(t *testing.T) {
	t.Parallel()
	d := newDriver(t)
	ctx := context.Background()
	started, release, _ := holdFirstGroup(d)
	defer release()
	first := startCreate(t, d, ctx, []driver.NewTask{task("a")}, false)
	<-started

	quit, cancel := context.WithCancel(ctx)
	defer cancel()
	stays := startCreate(t, d, ctx, []driver.NewTask{task("b")}, true)
	leaves := startCreate(t, d, quit, []driver.NewTask{task("b")}, true)
	var armed sync.Once
	postgres.SetGroupHook(d, func(context.Context, int) { armed.Do(cancel) })
	release()
	for _, c := range []*createCall{first, stays, leaves} {
		<-c.done
		require.NoError(t, c.err)
	}
	n, err := d.Count(ctx, "b")
	require.NoError(t, err)
	require.Equal(t, int64(2), n[driver.StatePending], "both tasks of the group stored")

	alone, stop := context.WithCancel(ctx)
	postgres.SetGroupHook(d, func(gctx context.Context, _ int) {
		stop()
		<-gctx.Done() // the statement starts cancelled, so it is not sent
	})
	_, err = d.Create(alone, []driver.NewTask{task("c")})
	require.ErrorIs(t, err, context.Canceled, "a group whose every call ended")
	n, err = d.Count(ctx, "c")
	require.NoError(t, err)
	require.Zero(t, n[driver.StatePending], "nothing stored")
}
