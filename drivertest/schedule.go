package drivertest

import (
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
)

// Sizes of the concurrent schedule rules: callers that take the same
// slots at once, and the slots each takes in turn.
const (
	slotCallers = 12
	slotRounds  = 20
)

// scheduler returns the driver's Scheduler, or skips or fails the subtest
// as the harness's exemptions say.
func (f *fixture) scheduler() driver.Scheduler {
	f.t.Helper()
	s, ok := f.d.(driver.Scheduler)
	if !ok {
		f.s.missing(f.t, CapSchedule, "the driver does not implement driver.Scheduler")
	}
	return s
}

// slotAt is a slot time to start from: a whole second in the past (a
// schedule's slots are the rule's times, not the store's now), so that
// the rules add microseconds to it.
func slotAt() time.Time {
	return time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
}

// slot returns a Slot of schedule name in queue q at at.
func slot(q, name string, at time.Time) driver.Slot {
	return driver.Slot{Name: name, At: at, Task: task(q, name+" "+at.Format(time.RFC3339Nano))}
}

// createSlot calls CreateSlot, failing on a call error.
func (f *fixture) createSlot(sc driver.Scheduler, s driver.Slot) driver.SlotResult {
	f.t.Helper()
	r, err := sc.CreateSlot(f.ctx, s)
	require.NoError(f.t, err, "CreateSlot(%q, %v)", s.Name, s.At)
	return r
}

// taken checks that r is the result of a call that created the slot at.
func (f *fixture) taken(r driver.SlotResult, at time.Time, what string) {
	f.t.Helper()
	require.NoError(f.t, r.Err, "%s: CreateSlot's result error", what)
	require.True(f.t, r.Created, "%s: CreateSlot must create the slot's task", what)
	require.Positive(f.t, r.ID, "%s: a created slot has its task's ID", what)
	require.True(f.t, r.Latest.Equal(at), "%s: Latest is the slot just taken: got %v, want %v", what, r.Latest, at)
}

// refused checks that r is the result of a call that created nothing
// because the schedule's latest slot is latest.
func (f *fixture) refused(r driver.SlotResult, latest time.Time, what string) {
	f.t.Helper()
	require.NoError(f.t, r.Err, "%s: a refused slot has no error", what)
	require.False(f.t, r.Created, "%s: CreateSlot must not create a slot not later than the latest", what)
	require.Zero(f.t, r.ID, "%s: a refused slot has no task ID", what)
	require.True(f.t, r.Latest.Equal(latest), "%s: Latest is the schedule's latest slot: got %v, want %v", what, r.Latest, latest)
}

// countTasks claims every task of q and returns how many there were.
func (f *fixture) countTasks(q string) int {
	f.t.Helper()
	n := 0
	for {
		got := f.claim(q, driver.Fifo, 100, longLease)
		n += len(got)
		if len(got) < 100 {
			return n
		}
	}
}

// scheduleRules are the rules of Scheduler.CreateSlot.
var scheduleRules = []rule{
	{name: "FirstSlotCreatesTask", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		sc := f.scheduler()
		q := f.queue()
		in := slot(q, "nightly", slotAt())
		in.Task.Priority = 7
		in.Task.UniqueKey = "nightly-key"
		r := f.createSlot(sc, in)
		f.taken(r, in.At, "the first slot of a schedule")
		got := f.get(r.ID)
		assert.Equal(t, q, got.Queue, "the slot's task is in its queue")
		assert.Equal(t, in.Task.Payload, got.Payload, "the slot's task has its payload")
		assert.Equal(t, 7, got.Priority, "the slot's task has its priority")
		assert.Equal(t, "nightly-key", got.UniqueKey, "the slot's task has its unique key")
		assert.Equal(t, driver.StatePending, got.State, "the slot's task is pending")
		assert.Equal(t, time.UTC, r.Latest.Location(), "Latest is in UTC")
	}},
	{name: "SameSlotAgainCreatesNothing", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		sc := f.scheduler()
		q := f.queue()
		at := slotAt()
		f.taken(f.createSlot(sc, slot(q, "s", at)), at, "the first call")
		for i := range 3 {
			f.refused(f.createSlot(sc, slot(q, "s", at)), at, "the same slot again")
			_ = i
		}
		assert.Equal(t, 1, f.countTasks(q), "a slot taken several times is one task")
	}},
	{name: "EarlierSlotRefused", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		sc := f.scheduler()
		q := f.queue()
		late := slotAt().Add(2 * time.Minute)
		f.taken(f.createSlot(sc, slot(q, "s", late)), late, "the later slot first")
		f.refused(f.createSlot(sc, slot(q, "s", slotAt())), late, "an earlier slot after a later one")
		f.refused(f.createSlot(sc, slot(q, "s", late.Add(-time.Microsecond))), late, "a slot a microsecond earlier")
		assert.Equal(t, 1, f.countTasks(q), "an earlier slot never becomes a task once a later one did")
	}},
	{name: "LaterSlotCreates", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		sc := f.scheduler()
		q := f.queue()
		seen := map[int64]bool{}
		for i := range 4 {
			at := slotAt().Add(time.Duration(i) * time.Minute)
			r := f.createSlot(sc, slot(q, "s", at))
			f.taken(r, at, "each later slot")
			assert.False(t, seen[r.ID], "each slot is a task of its own")
			seen[r.ID] = true
		}
		assert.Equal(t, 4, f.countTasks(q), "four slots are four tasks")
	}},
	{name: "SchedulesAreIndependent", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		sc := f.scheduler()
		q1, q2 := f.queue(), f.queue()
		at := slotAt()
		f.taken(f.createSlot(sc, slot(q1, "a", at.Add(time.Hour))), at.Add(time.Hour), "schedule a of queue 1")
		f.taken(f.createSlot(sc, slot(q1, "b", at)), at, "schedule b of the same queue, at an earlier slot")
		f.taken(f.createSlot(sc, slot(q2, "a", at)), at, "schedule a of another queue, at an earlier slot")
		f.taken(f.createSlot(sc, slot(q1, "A", at)), at, "names are compared byte for byte")
		assert.Equal(t, 3, f.countTasks(q1))
		assert.Equal(t, 1, f.countTasks(q2))
	}},
	{name: "HeldUniqueKeyTakesSlotWithoutTask", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		sc := f.scheduler()
		q := f.queue()
		holder := task(q, "holder")
		holder.UniqueKey = "report"
		hid := f.create(holder)[0]
		at := slotAt()
		in := slot(q, "s", at)
		in.Task.UniqueKey = "report"
		r, err := sc.CreateSlot(f.ctx, in)
		require.NoError(t, err)
		assert.False(t, r.Created, "a slot whose unique key is held creates no task")
		assert.ErrorIs(t, r.Err, driver.ErrDuplicate, "the result says the key is held")
		assert.Equal(t, hid, r.ID, "the result has the holder's ID")
		assert.True(t, r.Latest.Equal(at), "the slot is taken all the same: got Latest %v, want %v", r.Latest, at)
		f.refused(f.createSlot(sc, in), at, "the slot again, once taken with a held key")
		assert.Equal(t, 1, f.countTasks(q), "only the holder is stored")
	}},
	{name: "InvalidInputChangesNothing", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		sc := f.scheduler()
		q := f.queue()
		at := slotAt()
		later := at.Add(time.Hour)
		bad := map[string]driver.Slot{
			"empty name":            {Name: "", At: later, Task: task(q, "x")},
			"name with NUL":         {Name: "a\x00b", At: later, Task: task(q, "x")},
			"name too long":         {Name: strings.Repeat("n", driver.MaxUniqueKeyLen+1), At: later, Task: task(q, "x")},
			"zero time":             {Name: "s", Task: task(q, "x")},
			"year 1800":             {Name: "s", At: time.Date(1800, 1, 1, 0, 0, 0, 0, time.UTC), Task: task(q, "x")},
			"year 2300":             {Name: "s", At: time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC), Task: task(q, "x")},
			"no max attempts":       {Name: "s", At: later, Task: driver.NewTask{Queue: q}},
			"bad queue name":        {Name: "s", At: later, Task: task(q+" x", "x")},
			"negative delay":        {Name: "s", At: later, Task: driver.NewTask{Queue: q, MaxAttempts: 1, Delay: -time.Second}},
			"unique key bad":        {Name: "s", At: later, Task: driver.NewTask{Queue: q, MaxAttempts: 1, UniqueKey: "\xff"}},
			"latest without expect": {Name: "s", At: later, Latest: at, Task: task(q, "x")},
			"latest not earlier":    {Name: "s", At: later, Expect: true, Latest: later, Task: task(q, "x")},
			"latest in year 1800":   {Name: "s", At: later, Expect: true, Latest: time.Date(1800, 1, 1, 0, 0, 0, 0, time.UTC), Task: task(q, "x")},
			"payload too large":     {Name: "s", At: later, Task: driver.NewTask{Queue: q, MaxAttempts: 1, Payload: make([]byte, s.payloadLimit()+1)}},
		}
		for what, in := range bad {
			r, err := sc.CreateSlot(f.ctx, in)
			assert.ErrorIs(t, err, driver.ErrInvalid, "%s: CreateSlot refuses it with ErrInvalid", what)
			assert.Equal(t, driver.SlotResult{}, r, "%s: a refused call has an empty result", what)
		}
		f.taken(f.createSlot(sc, slot(q, "s", at)), at, "an invalid later slot took nothing")
		assert.Equal(t, 1, f.countTasks(q), "invalid slots stored no task")
	}},
	{name: "ConcurrentCallersCreateEachSlotOnce", serial: true, test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		sc := f.scheduler()
		q := f.queue()
		var (
			created [slotRounds]atomic.Int32
			wg      sync.WaitGroup
			start   = make(chan struct{})
			errs    = make(chan error, slotCallers*slotRounds)
		)
		for range slotCallers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				for i := range slotRounds {
					r, err := sc.CreateSlot(f.ctx, slot(q, "s", slotAt().Add(time.Duration(i)*time.Second)))
					switch {
					case err != nil:
						errs <- err
					case r.Err != nil:
						errs <- r.Err
					case r.Created:
						created[i].Add(1)
					}
				}
			}()
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err, "CreateSlot from concurrent callers")
		}
		for i := range created {
			assert.EqualValues(t, 1, created[i].Load(), "slot %d, taken by %d callers at once, is created exactly once", i, slotCallers)
		}
		assert.Equal(t, slotRounds, f.countTasks(q), "each slot is one task")
	}},
	{name: "RecordOutlivesTasks", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		sc := f.scheduler()
		a := f.admin()
		q := f.queue()
		at := slotAt()
		f.taken(f.createSlot(sc, slot(q, "s", at)), at, "the first slot")
		c := f.claimOne(q, longLease)
		require.NoError(t, f.finish(outcome(c.Lease, driver.Complete)))
		n, err := a.Purge(f.ctx, driver.PurgeParams{Queue: q})
		require.NoError(t, err)
		require.Equal(t, 1, n, "Purge deletes the slot's completed task")
		f.refused(f.createSlot(sc, slot(q, "s", at)), at, "the slot again once its task was purged")
		f.claimNone(q, "a slot whose task was purged is not created again")
	}},
	{name: "RecordOutlivesDriver", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		sc := f.scheduler()
		q := f.queue()
		at := slotAt()
		f.taken(f.createSlot(sc, slot(q, "s", at)), at, "the first slot")
		g := f.again()
		sc2 := g.scheduler()
		g.refused(g.createSlot(sc2, slot(q, "s", at)), at, "the same slot through a second driver on the store")
		next := at.Add(time.Second)
		g.taken(g.createSlot(sc2, slot(q, "s", next)), next, "the next slot through the second driver")
		assert.Equal(t, 2, g.countTasks(q), "two slots, two tasks")
	}},
	{name: "KeepsMicroseconds", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		sc := f.scheduler()
		q := f.queue()
		at := slotAt().Add(123456789 * time.Nanosecond)
		want := at.Truncate(time.Microsecond)
		f.taken(f.createSlot(sc, slot(q, "s", at)), want, "a slot with nanoseconds, which stores keep to the microsecond")
		f.refused(f.createSlot(sc, slot(q, "s", at.Add(200*time.Nanosecond))), want, "a slot within the same microsecond is the same slot")
		next := want.Add(time.Microsecond)
		f.taken(f.createSlot(sc, slot(q, "s", next)), next, "a slot one microsecond later")
		local := next.Add(time.Microsecond).In(time.FixedZone("east", 5*3600))
		f.taken(f.createSlot(sc, slot(q, "s", local)), local, "a slot in another time zone compares by its instant")
		f.refused(f.createSlot(sc, slot(q, "s", next.In(time.FixedZone("west", -7*3600)))), local, "an earlier instant in another zone")
	}},
	{name: "ExpectTakesOnlyFromLatestSeen", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		sc := f.scheduler()
		q := f.queue()
		at := slotAt()
		expect := func(at, latest time.Time) driver.Slot {
			in := slot(q, "s", at)
			in.Expect, in.Latest = true, latest
			return in
		}
		other := expect(at.Add(time.Minute), at)
		other.Name = "fresh"
		f.refused(f.createSlot(sc, other), time.Time{}, "Expect of a latest slot on a schedule that has none")
		f.taken(f.createSlot(sc, expect(at, time.Time{})), at, "Expect of no latest slot on a schedule that has none")
		f.refused(f.createSlot(sc, expect(at.Add(time.Minute), time.Time{})), at, "Expect of no latest slot once the schedule has one")
		f.refused(f.createSlot(sc, expect(at.Add(time.Minute), at.Add(-time.Minute))), at, "Expect of an older latest slot")
		later := at.Add(time.Hour)
		f.taken(f.createSlot(sc, expect(later, at)), later, "Expect of the latest slot, at any later slot")
		f.refused(f.createSlot(sc, expect(later.Add(time.Minute), at)), later, "Expect of the slot that was latest before")
		f.refused(f.createSlot(sc, expect(later, at)), later, "the same call again")
		assert.Equal(t, 2, f.countTasks(q), "two slots taken, two tasks")
	}},
	{name: "ConcurrentFirstSlotsExpectingNoneTakeOne", serial: true, test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		sc := f.scheduler()
		q := f.queue()
		var (
			created atomic.Int32
			wg      sync.WaitGroup
			start   = make(chan struct{})
			errs    = make(chan error, slotCallers)
		)
		// Callers whose clocks differ each start the schedule at a slot of
		// their own, expecting that it has none: one of them starts it.
		for i := range slotCallers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				in := slot(q, "s", slotAt().Add(time.Duration(i)*time.Second))
				in.Expect = true
				r, err := sc.CreateSlot(f.ctx, in)
				switch {
				case err != nil:
					errs <- err
				case r.Created:
					created.Add(1)
				}
			}()
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err, "CreateSlot from concurrent callers")
		}
		assert.EqualValues(t, 1, created.Load(), "one of the callers that expected no slot took one")
		assert.Equal(t, 1, f.countTasks(q), "one task")
	}},
	{name: "ClosedReturnsErrClosed", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		sc := f.scheduler()
		q := f.queue()
		require.NoError(t, f.d.Close())
		_, err := sc.CreateSlot(f.ctx, slot(q, "s", slotAt()))
		assert.ErrorIs(t, err, driver.ErrClosed, "CreateSlot on a closed driver")
		_, err = sc.CreateSlot(f.ctx, driver.Slot{})
		assert.ErrorIs(t, err, driver.ErrClosed, "CreateSlot on a closed driver, before its input is judged")
		assert.False(t, errors.Is(err, driver.ErrInvalid), "a closed driver judges no input")
	}},
}
