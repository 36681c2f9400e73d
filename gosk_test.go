package gosk_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivers/memory"
	"github.com/gosk/gosk/internal/testclock"
)

type email struct {
	To      string `json:"to"`
	Subject string `json:"subject"`
}

// newClock returns a settable clock to share between a memory driver and a
// queue.
func newClock() *testclock.Clock { return testclock.New(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) }

func newQueue(t *testing.T, opts *gosk.QueueOptions) (*gosk.Queue[email], *memory.Driver) {
	t.Helper()
	d := memory.New(nil)
	t.Cleanup(func() { _ = d.Close() })
	q, err := gosk.NewQueue[email](d, "emails", opts)
	require.NoError(t, err)
	return q, d
}

func TestSentinelsAreTheDriversOwn(t *testing.T) {
	t.Parallel()
	pairs := map[error]error{
		gosk.ErrTaskNotFound:            driver.ErrTaskNotFound,
		gosk.ErrTaskConflict:            driver.ErrTaskConflict,
		gosk.ErrLeaseLost:               driver.ErrLeaseLost,
		gosk.ErrDuplicate:               driver.ErrDuplicate,
		gosk.ErrUnsupportedPriorityRule: driver.ErrUnsupportedPriorityRule,
		gosk.ErrInvalid:                 driver.ErrInvalid,
		gosk.ErrClosed:                  driver.ErrClosed,
	}
	for ours, theirs := range pairs {
		assert.Same(t, theirs, ours)
	}
	assert.Equal(t, driver.Fifo, gosk.Fifo)
	assert.Equal(t, driver.Lifo, gosk.Lifo)
	assert.Equal(t, driver.Priority, gosk.Priority)
}

func TestNewQueueRefusesBadInput(t *testing.T) {
	t.Parallel()
	d := memory.New(nil)
	t.Cleanup(func() { _ = d.Close() })
	cases := map[string]struct {
		d    driver.Driver
		name string
		opts *gosk.QueueOptions
		want string
	}{
		"nil driver":           {nil, "q", nil, "driver is nil"},
		"empty name":           {d, "", nil, "queue name is empty"},
		"bad character":        {d, "a b", nil, "has character"},
		"negative attempts":    {d, "q", &gosk.QueueOptions{MaxAttempts: -1}, "QueueOptions.MaxAttempts"},
		"too many attempts":    {d, "q", &gosk.QueueOptions{MaxAttempts: driver.MaxAttemptsLimit + 1}, "QueueOptions.MaxAttempts"},
		"name over the length": {d, strings.Repeat("q", driver.MaxQueueNameLen+1), nil, "longer than"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			q, err := gosk.NewQueue[email](c.d, c.name, c.opts)
			require.ErrorIs(t, err, gosk.ErrInvalid)
			assert.ErrorContains(t, err, c.want)
			assert.Nil(t, q)
		})
	}
}

func TestCreateGetRoundTrip(t *testing.T) {
	t.Parallel()
	clk := newClock()
	d := memory.New(&memory.Options{Clock: clk.Now})
	t.Cleanup(func() { _ = d.Close() })
	q, err := gosk.NewQueue[email](d, "emails", &gosk.QueueOptions{MaxAttempts: 7, Clock: clk.Now})
	require.NoError(t, err)
	assert.Equal(t, "emails", q.Name())
	assert.Same(t, d, q.Driver())
	ctx := context.Background()

	id, err := q.Create(ctx, email{To: "ada@example.com", Subject: "hi"}, &gosk.CreateOptions{Priority: 3, UniqueKey: "k1"})
	require.NoError(t, err)
	task, err := q.Get(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, id, task.ID)
	assert.Equal(t, "emails", task.Queue)
	assert.Equal(t, email{To: "ada@example.com", Subject: "hi"}, task.Payload)
	assert.Equal(t, gosk.StatePending, task.State)
	assert.Equal(t, 0, task.Attempt)
	assert.Equal(t, 7, task.MaxAttempts, "the queue's default applies")
	assert.Equal(t, 3, task.Priority)
	assert.Equal(t, "k1", task.UniqueKey)
	assert.Empty(t, task.LastError)
	assert.True(t, task.CreatedAt.Equal(clk.Now()))
	assert.True(t, task.RunAt.Equal(clk.Now()))
	assert.True(t, task.FinalizedAt.IsZero())
	assert.True(t, task.LeaseExpiresAt.IsZero())

	id2, err := q.Create(ctx, email{To: "b"}, &gosk.CreateOptions{MaxAttempts: 2, Delay: time.Minute})
	require.NoError(t, err)
	task2, err := q.Get(ctx, id2)
	require.NoError(t, err)
	assert.Equal(t, 2, task2.MaxAttempts)
	assert.True(t, task2.RunAt.Equal(clk.Now().Add(time.Minute)), "run-at %v", task2.RunAt)
}

func TestDefaultMaxAttempts(t *testing.T) {
	t.Parallel()
	q, _ := newQueue(t, nil)
	id, err := q.Create(context.Background(), email{}, nil)
	require.NoError(t, err)
	task, err := q.Get(context.Background(), id)
	require.NoError(t, err)
	assert.Equal(t, gosk.DefaultMaxAttempts, task.MaxAttempts)
}

func TestRunAtUsesTheQueueClock(t *testing.T) {
	t.Parallel()
	clk := newClock()
	d := memory.New(&memory.Options{Clock: clk.Now})
	t.Cleanup(func() { _ = d.Close() })
	q, err := gosk.NewQueue[email](d, "emails", &gosk.QueueOptions{Clock: clk.Now})
	require.NoError(t, err)
	ctx := context.Background()

	at := clk.Now().Add(90 * time.Minute)
	id, err := q.Create(ctx, email{}, &gosk.CreateOptions{RunAt: at})
	require.NoError(t, err)
	task, err := q.Get(ctx, id)
	require.NoError(t, err)
	assert.True(t, task.RunAt.Equal(at), "run-at %v, want %v", task.RunAt, at)

	past, err := q.Create(ctx, email{}, &gosk.CreateOptions{RunAt: clk.Now().Add(-time.Hour)})
	require.NoError(t, err)
	task, err = q.Get(ctx, past)
	require.NoError(t, err)
	assert.True(t, task.RunAt.Equal(clk.Now()), "a run-at in the past means at once")

	claimed, err := d.Claim(ctx, driver.ClaimParams{Queue: "emails", Rule: gosk.Fifo, Lease: time.Minute, Limit: 10})
	require.NoError(t, err)
	require.Len(t, claimed, 1, "only the past task is available")
	assert.Equal(t, past, claimed[0].Task.ID)
}

func TestCreateOptionsRefusedNamingTheField(t *testing.T) {
	t.Parallel()
	q, d := newQueue(t, nil)
	cases := map[string]struct {
		opts gosk.CreateOptions
		want string
	}{
		"priority too high":   {gosk.CreateOptions{Priority: driver.MaxPriority + 1}, "CreateOptions.Priority"},
		"priority too low":    {gosk.CreateOptions{Priority: driver.MinPriority - 1}, "CreateOptions.Priority"},
		"negative delay":      {gosk.CreateOptions{Delay: -time.Second}, "CreateOptions.Delay"},
		"delay and run-at":    {gosk.CreateOptions{Delay: time.Second, RunAt: time.Now()}, "both set"},
		"negative attempts":   {gosk.CreateOptions{MaxAttempts: -1}, "CreateOptions.MaxAttempts"},
		"unique key too big":  {gosk.CreateOptions{UniqueKey: strings.Repeat("k", driver.MaxUniqueKeyLen+1)}, "CreateOptions.UniqueKey"},
		"unique key not utf":  {gosk.CreateOptions{UniqueKey: "\xff"}, "CreateOptions.UniqueKey"},
		"unique key with NUL": {gosk.CreateOptions{UniqueKey: "a\x00b"}, "CreateOptions.UniqueKey"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := q.Create(context.Background(), email{}, &c.opts)
			require.ErrorIs(t, err, gosk.ErrInvalid)
			assert.ErrorContains(t, err, c.want)
		})
	}
	n, err := q.Count(context.Background())
	require.NoError(t, err)
	assert.Zero(t, n[gosk.StatePending], "nothing stored")
	_ = d
}

func TestUniqueKeyReturnsTheExistingTask(t *testing.T) {
	t.Parallel()
	q, _ := newQueue(t, nil)
	ctx := context.Background()
	first, err := q.Create(ctx, email{To: "a"}, &gosk.CreateOptions{UniqueKey: "welcome:ada"})
	require.NoError(t, err)
	again, err := q.Create(ctx, email{To: "b"}, &gosk.CreateOptions{UniqueKey: "welcome:ada"})
	require.ErrorIs(t, err, gosk.ErrDuplicate)
	assert.Equal(t, first, again)
	assert.ErrorContains(t, err, "welcome:ada")
	n, err := q.Count(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 1, n[gosk.StatePending])
}

func TestCreateManyIsOneBatch(t *testing.T) {
	t.Parallel()
	q, _ := newQueue(t, nil)
	ctx := context.Background()
	res, err := q.CreateMany(ctx, gosk.Items([]email{{To: "a"}, {To: "b"}, {To: "c"}}, &gosk.CreateOptions{Priority: 2}))
	require.NoError(t, err)
	require.Len(t, res, 3)
	for i, r := range res {
		require.NoError(t, r.Err)
		task, err := q.Get(ctx, r.ID)
		require.NoError(t, err)
		assert.Equal(t, string(rune('a'+i)), task.Payload.To)
		assert.Equal(t, 2, task.Priority)
	}

	items := []gosk.Item[email]{
		{Payload: email{To: "x"}, Options: &gosk.CreateOptions{UniqueKey: "u"}},
		{Payload: email{To: "y"}, Options: &gosk.CreateOptions{UniqueKey: "u"}},
		{Payload: email{To: "z"}},
	}
	res, err = q.CreateMany(ctx, items)
	require.NoError(t, err)
	require.Len(t, res, 3)
	require.NoError(t, res[0].Err)
	require.ErrorIs(t, res[1].Err, gosk.ErrDuplicate, "same key earlier in the batch")
	assert.Equal(t, res[0].ID, res[1].ID)
	require.NoError(t, res[2].Err)

	res, err = q.CreateMany(ctx, gosk.Items[email](nil, nil))
	require.NoError(t, err)
	assert.Empty(t, res)

	_, err = q.CreateMany(ctx, []gosk.Item[email]{{}, {Options: &gosk.CreateOptions{Delay: -1}}})
	require.ErrorIs(t, err, gosk.ErrInvalid)
	assert.ErrorContains(t, err, "item 1")
}

func TestInAppearsOnCommitOnly(t *testing.T) {
	t.Parallel()
	q, d := newQueue(t, nil)
	ctx := context.Background()

	tx := d.Begin()
	id, err := q.In(d.Tx(tx)).Create(ctx, email{To: "kept"}, nil)
	require.NoError(t, err)
	_, err = q.Get(ctx, id)
	require.ErrorIs(t, err, gosk.ErrTaskNotFound, "not visible before commit")
	require.NoError(t, tx.Commit())
	task, err := q.Get(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, "kept", task.Payload.To)

	tx = d.Begin()
	res, err := q.In(d.Tx(tx)).CreateMany(ctx, gosk.Items([]email{{To: "dropped"}, {To: "dropped too"}}, nil))
	require.NoError(t, err)
	require.NoError(t, tx.Rollback())
	for _, r := range res {
		_, err = q.Get(ctx, r.ID)
		require.ErrorIs(t, err, gosk.ErrTaskNotFound)
	}

	_, err = q.In(nil).Create(ctx, email{}, nil)
	require.ErrorIs(t, err, gosk.ErrInvalid)
}

// In binds a copy: the queue it was called on still creates in the store,
// and the copy's other methods read the store, outside the transaction.
func TestInLeavesTheQueueAsItWas(t *testing.T) {
	t.Parallel()
	q, d := newQueue(t, nil)
	ctx := context.Background()

	tx := d.Begin()
	inTx := q.In(d.Tx(tx))
	staged, err := inTx.Create(ctx, email{To: "staged"}, nil)
	require.NoError(t, err)
	stored, err := q.Create(ctx, email{To: "stored"}, nil)
	require.NoError(t, err)

	_, err = inTx.Get(ctx, staged)
	require.ErrorIs(t, err, gosk.ErrTaskNotFound, "the copy's Get reads the store, where the staged task is not yet")
	task, err := inTx.Get(ctx, stored)
	require.NoError(t, err)
	assert.Equal(t, "stored", task.Payload.To)
	assert.Equal(t, q.Name(), inTx.Name())
	require.NoError(t, tx.Rollback())
}

func TestItemsSharesOptions(t *testing.T) {
	t.Parallel()
	opts := &gosk.CreateOptions{Priority: 3}
	items := gosk.Items([]string{"a", "b"}, opts)
	require.Len(t, items, 2)
	for i, want := range []string{"a", "b"} {
		assert.Equal(t, want, items[i].Payload)
		assert.Same(t, opts, items[i].Options)
	}
	assert.Empty(t, gosk.Items[string](nil, nil))
}

func TestGetUnknownOrForeignTask(t *testing.T) {
	t.Parallel()
	q, d := newQueue(t, nil)
	ctx := context.Background()
	_, err := q.Get(ctx, 12345)
	require.ErrorIs(t, err, gosk.ErrTaskNotFound)

	other, err := gosk.NewQueue[email](d, "other", nil)
	require.NoError(t, err)
	id, err := other.Create(ctx, email{}, nil)
	require.NoError(t, err)
	_, err = q.Get(ctx, id)
	require.ErrorIs(t, err, gosk.ErrTaskNotFound)
	assert.ErrorContains(t, err, `"other"`)
}

type upperCodec struct{}

func (upperCodec) Marshal(v any) ([]byte, error) {
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("upperCodec: %T is not a string", v)
	}
	return []byte(strings.ToUpper(s)), nil
}

func (upperCodec) Unmarshal(data []byte, v any) error {
	p, ok := v.(*string)
	if !ok {
		return fmt.Errorf("upperCodec: %T is not a *string", v)
	}
	if strings.HasPrefix(string(data), "!") {
		return errors.New("upperCodec: bang")
	}
	*p = string(data)
	return nil
}

func TestCodecIsUsedBothWays(t *testing.T) {
	t.Parallel()
	d := memory.New(nil)
	t.Cleanup(func() { _ = d.Close() })
	q, err := gosk.NewQueue[string](d, "words", &gosk.QueueOptions{Codec: upperCodec{}})
	require.NoError(t, err)
	ctx := context.Background()
	id, err := q.Create(ctx, "hello", nil)
	require.NoError(t, err)
	rec, err := d.Get(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, []byte("HELLO"), rec.Payload, "the driver sees the codec's bytes")
	task, err := q.Get(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, "HELLO", task.Payload)

	bad, err := q.Create(ctx, "!oops", nil)
	require.NoError(t, err)
	_, err = q.Get(ctx, bad)
	assert.ErrorContains(t, err, "decode payload")
}

func TestEmptyPayloadDecodesToZero(t *testing.T) {
	t.Parallel()
	q, d := newQueue(t, nil)
	res, err := d.Create(context.Background(), []driver.NewTask{{Queue: "emails", MaxAttempts: 1}})
	require.NoError(t, err)
	task, err := q.Get(context.Background(), res[0].ID)
	require.NoError(t, err)
	assert.Equal(t, email{}, task.Payload)
}

func TestEncodeFailureStoresNothing(t *testing.T) {
	t.Parallel()
	d := memory.New(nil)
	t.Cleanup(func() { _ = d.Close() })
	q, err := gosk.NewQueue[chan int](d, "chans", nil)
	require.NoError(t, err)
	_, err = q.Create(context.Background(), make(chan int), nil)
	assert.ErrorContains(t, err, "encode payload")
}

func TestAdminHelpers(t *testing.T) {
	t.Parallel()
	clk := newClock()
	d := memory.New(&memory.Options{Clock: clk.Now})
	t.Cleanup(func() { _ = d.Close() })
	q, err := gosk.NewQueue[email](d, "emails", nil)
	require.NoError(t, err)
	ctx := context.Background()
	res, err := q.CreateMany(ctx, gosk.Items([]email{{To: "1"}, {To: "2"}, {To: "3"}}, nil))
	require.NoError(t, err)
	ids := []int64{res[0].ID, res[1].ID, res[2].ID}

	require.NoError(t, q.Cancel(ctx, ids[0], ids[1]))
	err = q.Cancel(ctx, ids[0], 999999)
	require.ErrorIs(t, err, gosk.ErrTaskConflict)
	require.ErrorIs(t, err, gosk.ErrTaskNotFound)
	assert.ErrorContains(t, err, fmt.Sprintf("task %d", ids[0]))

	n, err := q.Count(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 2, n[gosk.StateCancelled])
	assert.EqualValues(t, 1, n[gosk.StatePending])

	tasks, err := q.List(ctx, &gosk.ListOptions{States: []gosk.State{gosk.StateCancelled}})
	require.NoError(t, err)
	require.Len(t, tasks, 2)
	assert.Equal(t, "1", tasks[0].Payload.To)
	tasks, err = q.List(ctx, &gosk.ListOptions{AfterID: ids[0], Limit: 1})
	require.NoError(t, err)
	require.Len(t, tasks, 1)
	assert.Equal(t, ids[1], tasks[0].ID)

	require.NoError(t, q.Retry(ctx, ids[1]))
	require.ErrorIs(t, q.Retry(ctx, ids[2]), gosk.ErrTaskConflict, "a pending task cannot be retried")
	task, err := q.Get(ctx, ids[1])
	require.NoError(t, err)
	assert.Equal(t, gosk.StatePending, task.State)

	clk.Add(2 * time.Hour)
	purged, err := q.Purge(ctx, time.Hour)
	require.NoError(t, err)
	assert.Equal(t, 1, purged)
	_, err = q.Get(ctx, ids[0])
	require.ErrorIs(t, err, gosk.ErrTaskNotFound)

	require.NoError(t, q.Retry(ctx), "no IDs, nothing to do")
}

// bare hides every optional capability of the driver it wraps.
type bare struct{ driver.Driver }

func TestAdminHelpersNeedTheCapability(t *testing.T) {
	t.Parallel()
	d := memory.New(nil)
	t.Cleanup(func() { _ = d.Close() })
	q, err := gosk.NewQueue[email](bare{d}, "emails", nil)
	require.NoError(t, err)
	ctx := context.Background()
	_, err = q.Count(ctx)
	require.ErrorIs(t, err, gosk.ErrUnsupported)
	_, err = q.List(ctx, nil)
	require.ErrorIs(t, err, gosk.ErrUnsupported)
	require.ErrorIs(t, q.Retry(ctx, 1), gosk.ErrUnsupported)
	require.ErrorIs(t, q.Cancel(ctx, 1), gosk.ErrUnsupported)
	_, err = q.Purge(ctx, 0)
	require.ErrorIs(t, err, gosk.ErrUnsupported)
	require.ErrorIs(t, q.Pause(ctx), gosk.ErrUnsupported)
	require.ErrorIs(t, q.Resume(ctx), gosk.ErrUnsupported)
	_, err = q.Paused(ctx)
	require.ErrorIs(t, err, gosk.ErrUnsupported)
}

// A queue's pause is its own: pausing one queue leaves the others, even a
// queue whose name starts with its name, and errors name the queue.
func TestPauseIsPerQueue(t *testing.T) {
	t.Parallel()
	q, d := newQueue(t, nil)
	other, err := gosk.NewQueue[email](d, "emails-other", nil)
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, q.Pause(ctx))
	for _, c := range []struct {
		q    *gosk.Queue[email]
		want bool
	}{{q, true}, {other, false}} {
		paused, err := c.q.Paused(ctx)
		require.NoError(t, err)
		require.Equal(t, c.want, paused, "queue %s", c.q.Name())
	}
	require.NoError(t, q.Resume(ctx))
	paused, err := q.Paused(ctx)
	require.NoError(t, err)
	require.False(t, paused)
	require.NoError(t, d.Close())
	err = q.Pause(ctx)
	require.ErrorIs(t, err, gosk.ErrClosed)
	require.ErrorContains(t, err, `queue "emails"`)
}

func TestClosedDriver(t *testing.T) {
	t.Parallel()
	q, d := newQueue(t, nil)
	require.NoError(t, d.Close())
	_, err := q.Create(context.Background(), email{}, nil)
	require.ErrorIs(t, err, gosk.ErrClosed)
	_, err = q.Get(context.Background(), 1)
	require.ErrorIs(t, err, gosk.ErrClosed)
}

func TestSnooze(t *testing.T) {
	t.Parallel()
	err := fmt.Errorf("busy: %w", gosk.Snooze(time.Minute))
	var s *gosk.SnoozeError
	require.ErrorAs(t, err, &s)
	assert.Equal(t, time.Minute, s.Delay)
	require.ErrorAs(t, gosk.Snooze(-time.Second), &s)
	assert.Zero(t, s.Delay, "negative counts as zero")
	assert.NotErrorIs(t, err, gosk.ErrCancelTask)
}

// A payload whose encoding is over the driver's limit is refused with
// ErrInvalid naming the limit, and nothing of its batch is stored.
func TestPayloadOverTheDriversLimit(t *testing.T) {
	t.Parallel()
	d := memory.New(&memory.Options{MaxPayloadLen: 64})
	t.Cleanup(func() { _ = d.Close() })
	q, err := gosk.NewQueue[email](d, "emails", nil)
	require.NoError(t, err)
	ctx := context.Background()
	_, err = q.CreateMany(ctx, gosk.Items([]email{{To: "a"}, {To: strings.Repeat("b", 64)}}, nil))
	require.ErrorIs(t, err, gosk.ErrInvalid)
	assert.Contains(t, err.Error(), "payload limit of 64 bytes")
	n, err := d.Count(ctx, "emails")
	require.NoError(t, err)
	assert.Empty(t, n[driver.StatePending], "nothing of the batch is stored")
}
