package worker_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivers/memory"
	"github.com/gosk/gosk/internal/testclock"
	"github.com/gosk/gosk/worker"
)

// minute0 is a whole minute, where Every(time.Minute) has a slot.
var minute0 = time.Date(2026, 5, 6, 7, 8, 0, 0, time.UTC)

// slotTasks returns the slot times in the payloads of every task of q, in
// ID order.
func slotTasks(t *testing.T, d *memory.Driver, q *gosk.Queue[string]) []time.Time {
	t.Helper()
	recs, err := d.List(t.Context(), driver.ListParams{Queue: q.Name(), Limit: 1000})
	require.NoError(t, err)
	var out []time.Time
	for _, r := range recs {
		task, err := q.Decode(r)
		require.NoError(t, err)
		at, err := time.Parse(time.RFC3339Nano, task.Payload)
		require.NoError(t, err)
		out = append(out, at)
	}
	return out
}

func slotPayload(slot time.Time) string { return slot.Format(time.RFC3339Nano) }

// runSchedule runs s on clk, whose waits move clk instead of waiting,
// until it has waited waits times; it returns the durations it waited and
// what Run returned.
func runSchedule(t *testing.T, s *worker.Schedule, clk *testclock.Clock, waits int) ([]time.Duration, error) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var slept []time.Duration
	worker.SetScheduleSleep(s, func(ctx context.Context, d time.Duration) error {
		slept = append(slept, d)
		if len(slept) > waits {
			cancel()
			return ctx.Err()
		}
		clk.Add(d)
		return nil
	})
	err := s.Run(ctx)
	return slept, err
}

func newScheduleQueue(t *testing.T) (*memory.Driver, *gosk.Queue[string]) {
	t.Helper()
	d := memory.New(nil)
	t.Cleanup(func() { _ = d.Close() })
	q, err := gosk.NewQueue[string](d, "reports", nil)
	require.NoError(t, err)
	return d, q
}

func slots(first time.Time, every time.Duration, n int) []time.Time {
	out := make([]time.Time, n)
	for i := range out {
		out[i] = first.Add(time.Duration(i) * every)
	}
	return out
}

func TestScheduleEveryCreatesEachSlotOnce(t *testing.T) {
	d, q := newScheduleQueue(t)
	clk := testclock.New(minute0.Add(30 * time.Second))
	s, err := worker.NewSchedule(q, "nightly", worker.Every(time.Minute), slotPayload,
		&worker.ScheduleConfig{Clock: clk.Now, Missed: worker.MissedSkip})
	require.NoError(t, err)
	slept, err := runSchedule(t, s, clk, 5)
	require.NoError(t, err, "Run returns nil once its context is done")
	assert.Equal(t, slots(minute0.Add(time.Minute), time.Minute, 5), slotTasks(t, d, q),
		"one task per slot, each with its slot's time, from the first slot after the start")
	assert.Equal(t, 30*time.Second, slept[0], "the first wait is until the next slot, on the clock")
	for _, w := range slept[1:] {
		assert.Equal(t, time.Minute, w, "then a whole period between slots")
	}
}

func TestScheduleMissedPolicy(t *testing.T) {
	for _, tc := range []struct {
		missed worker.Missed
		want   []time.Time
	}{
		{0, []time.Time{minute0.Add(-10 * time.Minute), minute0}},
		{worker.MissedRunLast, []time.Time{minute0.Add(-10 * time.Minute), minute0}},
		{worker.MissedSkip, []time.Time{minute0.Add(-10 * time.Minute)}},
	} {
		d, q := newScheduleQueue(t)
		clk := testclock.New(minute0.Add(30 * time.Second))
		// The schedule ran last ten minutes ago; then every process was down.
		nt, err := q.NewTask(slotPayload(minute0.Add(-10*time.Minute)), nil)
		require.NoError(t, err)
		_, err = d.CreateSlot(t.Context(), driver.Slot{Name: "nightly", At: minute0.Add(-10 * time.Minute), Task: nt})
		require.NoError(t, err)
		s, err := worker.NewSchedule(q, "nightly", worker.Every(time.Minute), slotPayload,
			&worker.ScheduleConfig{Clock: clk.Now, Missed: tc.missed})
		require.NoError(t, err)
		_, err = runSchedule(t, s, clk, 0)
		require.NoError(t, err)
		assert.Equal(t, tc.want, slotTasks(t, d, q), "Missed %d: the nine missed slots before the last are never run", tc.missed)
	}
}

// TestScheduleFastClockGoesOnFromStoresLatest starts a process whose clock
// is 2.5 slots ahead while the store's latest slot is the current one: it
// takes the slots after the store's latest in order, early, and skips
// none, instead of starting from its own clock's slot.
func TestScheduleFastClockGoesOnFromStoresLatest(t *testing.T) {
	d, q := newScheduleQueue(t)
	const every = time.Minute
	real := minute0.Add(10 * time.Second)
	nt, err := q.NewTask(slotPayload(minute0), nil)
	require.NoError(t, err)
	_, err = d.CreateSlot(t.Context(), driver.Slot{Name: "s", At: minute0, Task: nt})
	require.NoError(t, err)
	clk := testclock.New(real.Add(5 * every / 2))
	s, err := worker.NewSchedule(q, "s", worker.Every(every), slotPayload,
		&worker.ScheduleConfig{Clock: clk.Now, ClockSkew: 3 * every})
	require.NoError(t, err)
	_, err = runSchedule(t, s, clk, 0)
	require.NoError(t, err)
	assert.Equal(t, slots(minute0, every, 3), slotTasks(t, d, q), "no slot after the store's latest is skipped")
}

func TestScheduleUniqueKeyHeldSkipsRun(t *testing.T) {
	d, q := newScheduleQueue(t)
	clk := testclock.New(minute0.Add(30 * time.Second))
	s, err := worker.NewSchedule(q, "s", worker.Every(time.Minute), slotPayload,
		&worker.ScheduleConfig{Clock: clk.Now, Options: gosk.CreateOptions{UniqueKey: "one-at-a-time", Priority: 3}})
	require.NoError(t, err)
	_, err = runSchedule(t, s, clk, 3)
	require.NoError(t, err)
	assert.Equal(t, []time.Time{minute0}, slotTasks(t, d, q), "while the first slot's task is pending, later slots create none")
	rec, err := d.Get(t.Context(), 1)
	require.NoError(t, err)
	assert.Equal(t, 3, rec.Priority, "the slot's task has the schedule's options")
}

func TestScheduleStopsOnClosedDriver(t *testing.T) {
	d, q := newScheduleQueue(t)
	s, err := worker.NewSchedule(q, "s", worker.Every(time.Minute), nil, nil)
	require.NoError(t, err)
	require.NoError(t, d.Close())
	err = s.Run(t.Context())
	assert.ErrorIs(t, err, driver.ErrClosed)
}

// failing fails its first n CreateSlot calls.
type failing struct {
	*memory.Driver
	n int
}

func (f *failing) CreateSlot(ctx context.Context, s driver.Slot) (driver.SlotResult, error) {
	if f.n > 0 {
		f.n--
		return driver.SlotResult{}, errors.New("store is down")
	}
	return f.Driver.CreateSlot(ctx, s)
}

func TestScheduleRetriesSameSlotAfterFailure(t *testing.T) {
	m := memory.New(nil)
	t.Cleanup(func() { _ = m.Close() })
	f := &failing{Driver: m, n: 3}
	q, err := gosk.NewQueue[string](f, "reports", nil)
	require.NoError(t, err)
	takeSlot(t, m, q, "s", minute0.Add(-time.Minute))
	clk := testclock.New(minute0.Add(30 * time.Second))
	s, err := worker.NewSchedule(q, "s", worker.Every(time.Minute), slotPayload,
		&worker.ScheduleConfig{Clock: clk.Now, RetryInterval: 10 * time.Second})
	require.NoError(t, err)
	slept, err := runSchedule(t, s, clk, 3)
	require.NoError(t, err)
	assert.Equal(t, []time.Duration{10 * time.Second, 10 * time.Second, 10 * time.Second}, slept[:3], "a failed slot is tried again after RetryInterval")
	assert.Equal(t, slots(minute0.Add(-time.Minute), time.Minute, 3), slotTasks(t, m, q),
		"the slot that failed is taken once the store is back, then the slot that passed meanwhile, in order")
}

// takeSlot takes the slot at of schedule name, as another process would.
func takeSlot(t *testing.T, d *memory.Driver, q *gosk.Queue[string], name string, at time.Time) {
	t.Helper()
	nt, err := q.NewTask(slotPayload(at), nil)
	require.NoError(t, err)
	r, err := d.CreateSlot(t.Context(), driver.Slot{Name: name, At: at, Task: nt})
	require.NoError(t, err)
	require.True(t, r.Created)
}

func TestSpecs(t *testing.T) {
	at := time.Date(2026, 5, 6, 7, 8, 9, 500, time.UTC)
	every := worker.Every(150 * time.Millisecond)
	p := worker.SpecPrev(every, at)
	assert.Zero(t, p.UnixMicro()%150_000, "Every's slots are multiples of the interval since the epoch")
	assert.False(t, p.After(at))
	assert.Equal(t, p.Add(150*time.Millisecond), worker.SpecNext(every, at))
	assert.Equal(t, p.Add(150*time.Millisecond), worker.SpecNext(every, p), "next is strictly after")
	before := time.Date(1960, 1, 1, 0, 0, 0, 100, time.UTC)
	assert.Equal(t, time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC), worker.SpecPrev(worker.Every(time.Hour), before), "slots before the epoch round down too")

	hourly := worker.Cron("0 * * * *")
	assert.Equal(t, time.Date(2026, 5, 6, 7, 0, 0, 0, time.UTC), worker.SpecPrev(hourly, at))
	assert.Equal(t, time.Date(2026, 5, 6, 8, 0, 0, 0, time.UTC), worker.SpecNext(hourly, at))
	yearly := worker.Cron("@yearly")
	assert.Equal(t, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), worker.SpecPrev(yearly, at), "prev looks back as far as the spec needs")
	tokyo := worker.Cron("CRON_TZ=Asia/Tokyo 0 9 * * *")
	assert.Equal(t, time.Date(2026, 5, 7, 0, 0, 0, 0, time.UTC), worker.SpecNext(tokyo, at), "9:00 in Tokyo is 0:00 UTC")
	secs := worker.Cron("*/10 * * * * *")
	assert.Equal(t, time.Date(2026, 5, 6, 7, 8, 10, 0, time.UTC), worker.SpecNext(secs, at), "an optional seconds field")
}

func TestNewScheduleRefusesBadInput(t *testing.T) {
	_, q := newScheduleQueue(t)
	plain, err := gosk.NewQueue[string](struct{ driver.Driver }{memory.New(nil)}, "plain", nil)
	require.NoError(t, err)
	for what, tc := range map[string]struct {
		q    *gosk.Queue[string]
		name string
		spec worker.Spec
		cfg  *worker.ScheduleConfig
		want string
	}{
		"zero spec":         {q, "s", worker.Spec{}, nil, "zero Spec"},
		"short interval":    {q, "s", worker.Every(time.Millisecond), nil, "MinEvery"},
		"bad cron":          {q, "s", worker.Cron("61 * * * *"), nil, "cron expression"},
		"@every":            {q, "s", worker.Cron("@every 1h"), nil, "worker.Every"},
		"bad zone":          {q, "s", worker.Cron("CRON_TZ=Nowhere/Atlantis 0 * * * *"), nil, "cron expression"},
		"never":             {q, "s", worker.Cron("0 0 30 2 *"), nil, "no time"},
		"empty name":        {q, "", worker.Every(time.Minute), nil, "slot name"},
		"negative skew":     {q, "s", worker.Every(time.Minute), &worker.ScheduleConfig{ClockSkew: -1}, "ClockSkew"},
		"negative retry":    {q, "s", worker.Every(time.Minute), &worker.ScheduleConfig{RetryInterval: -1}, "RetryInterval"},
		"unknown missed":    {q, "s", worker.Every(time.Minute), &worker.ScheduleConfig{Missed: 9}, "Missed"},
		"run-at":            {q, "s", worker.Every(time.Minute), &worker.ScheduleConfig{Options: gosk.CreateOptions{RunAt: minute0}}, "RunAt"},
		"bad priority":      {q, "s", worker.Every(time.Minute), &worker.ScheduleConfig{Options: gosk.CreateOptions{Priority: 1 << 20}}, "Priority"},
		"no scheduler":      {plain, "s", worker.Every(time.Minute), nil, "driver.Scheduler"},
		"nil queue (typed)": {nil, "s", worker.Every(time.Minute), nil, "queue is nil"},
	} {
		_, err := worker.NewSchedule(tc.q, tc.name, tc.spec, nil, tc.cfg)
		require.ErrorIs(t, err, gosk.ErrInvalid, what)
		assert.Contains(t, err.Error(), tc.want, what)
	}
}

// TestScheduleFreshStartsAgree starts a schedule that never ran in two
// processes whose clocks are 2.5 periods apart: the fast one starts it at
// its own last slot, and the slow one, seeing that slot taken, follows it
// from there instead of starting it again at an earlier slot of its own.
func TestScheduleFreshStartsAgree(t *testing.T) {
	d, q := newScheduleQueue(t)
	const every = time.Minute
	real := minute0.Add(10 * time.Second)
	fastClock := testclock.New(real.Add(5 * every / 2))
	fast, err := worker.NewSchedule(q, "s", worker.Every(every), slotPayload,
		&worker.ScheduleConfig{Clock: fastClock.Now, ClockSkew: 3 * every})
	require.NoError(t, err)
	_, err = runSchedule(t, fast, fastClock, 0)
	require.NoError(t, err)
	first := minute0.Add(2 * every)
	assert.Equal(t, []time.Time{first}, slotTasks(t, d, q), "the fast process starts the schedule at the last slot of its clock")

	slowClock := testclock.New(real)
	slow, err := worker.NewSchedule(q, "s", worker.Every(every), slotPayload,
		&worker.ScheduleConfig{Clock: slowClock.Now, ClockSkew: 3 * every})
	require.NoError(t, err)
	slept, err := runSchedule(t, slow, slowClock, 1)
	require.NoError(t, err)
	assert.Equal(t, first.Add(every).Sub(real), slept[0], "the slow process waits for the slot after the fast one's")
	assert.Equal(t, []time.Time{first, first.Add(every)}, slotTasks(t, d, q), "then takes it: one task per slot, none before the first")
}

// slowSlots is a store whose first n slot creations take d on clk.
type slowSlots struct {
	*memory.Driver
	clk *testclock.Clock
	d   time.Duration
	n   int
}

func (s *slowSlots) CreateSlot(ctx context.Context, slot driver.Slot) (driver.SlotResult, error) {
	r, err := s.Driver.CreateSlot(ctx, slot)
	if err == nil && r.Created && s.n > 0 {
		s.n--
		s.clk.Add(s.d)
	}
	return r, err
}

// TestScheduleSlowStoreCatchesUp runs a schedule on a store that takes
// three periods to create each of three slots: the process was running
// the schedule all along, so it takes every slot, late, none skipped.
func TestScheduleSlowStoreCatchesUp(t *testing.T) {
	m := memory.New(nil)
	t.Cleanup(func() { _ = m.Close() })
	clk := testclock.New(minute0.Add(30 * time.Second))
	slow := &slowSlots{Driver: m, clk: clk, d: 3 * time.Minute, n: 3}
	q, err := gosk.NewQueue[string](slow, "reports", nil)
	require.NoError(t, err)
	takeSlot(t, m, q, "s", minute0)
	s, err := worker.NewSchedule(q, "s", worker.Every(time.Minute), slotPayload, &worker.ScheduleConfig{Clock: clk.Now})
	require.NoError(t, err)
	slept, err := runSchedule(t, s, clk, 1)
	require.NoError(t, err)
	assert.Equal(t, []time.Duration{30 * time.Second, time.Minute}, slept, "no wait while it catches up")
	assert.Equal(t, slots(minute0, time.Minute, 11), slotTasks(t, m, q),
		"every slot from the first to the clock's, in order, though each slow create put the schedule minutes behind")
}

// TestScheduleStalledProcessStartsAfresh stalls a process for ten
// minutes in its wait for a slot: it ran nothing meanwhile, so the
// schedule was stopped, and it starts it again as Missed says instead of
// taking the slot it waited for, ten minutes late.
func TestScheduleStalledProcessStartsAfresh(t *testing.T) {
	d, q := newScheduleQueue(t)
	takeSlot(t, d, q, "s", minute0)
	clk := testclock.New(minute0.Add(30 * time.Second))
	s, err := worker.NewSchedule(q, "s", worker.Every(time.Minute), slotPayload, &worker.ScheduleConfig{Clock: clk.Now})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	waits := 0
	worker.SetScheduleSleep(s, func(ctx context.Context, d time.Duration) error {
		waits++
		switch waits {
		case 2:
			clk.Add(d + 10*time.Minute) // suspended
		case 3:
			cancel()
			return ctx.Err()
		default:
			clk.Add(d)
		}
		return nil
	})
	require.NoError(t, s.Run(ctx))
	assert.Equal(t, []time.Time{minute0, minute0.Add(time.Minute), minute0.Add(12 * time.Minute)}, slotTasks(t, d, q),
		"the slots that passed while the process stalled are missed, and the last of them is run (MissedRunLast)")
}
