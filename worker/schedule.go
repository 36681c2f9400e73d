package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/driver"
)

// Missed says what a schedule does with the slots that passed while no
// process ran it.
type Missed int

const (
	// MissedRunLast, the default, runs the last missed slot once, at
	// start, however many were missed: a daily report missed during an
	// outage is made once, late, not once per missed day.
	MissedRunLast Missed = iota + 1
	// MissedSkip skips the missed slots: the schedule goes on from the
	// next slot to come.
	MissedSkip
)

// Defaults of ScheduleConfig.
const (
	// DefaultClockSkew is ScheduleConfig.ClockSkew's default.
	DefaultClockSkew = time.Second
	// DefaultScheduleRetry is ScheduleConfig.RetryInterval's default.
	DefaultScheduleRetry = time.Second
	// MaxClockSkew is the largest ScheduleConfig.ClockSkew: a year, far
	// beyond how far clocks drift apart or a slot takes to create. A
	// tolerance of more than a century reached back to slots before
	// driver.MinSlotYear, which no store keeps, and the schedule failed
	// at its first slot instead of being refused when built.
	MaxClockSkew = 365 * 24 * time.Hour
)

// ScheduleConfig configures a Schedule. Every field's zero value means
// its default; nil means all defaults. NewSchedule refuses invalid
// settings with an error that wraps gosk.ErrInvalid and names the field.
type ScheduleConfig struct {
	// Missed says what to do, at start, with slots that passed while no
	// process ran the schedule: MissedRunLast (the default) or
	// MissedSkip. Slots that passed while another process ran the
	// schedule were taken by it and are never run again either way.
	Missed Missed

	// ClockSkew is how far the clocks of the processes that run the
	// schedule may be apart, plus the time a slot takes to be created: a
	// schedule whose latest slot is less than ClockSkew old is running
	// somewhere, and a process that starts follows it from that slot,
	// running the slots since at once, late rather than missed. One
	// whose latest slot is older counts as stopped, and starts again as
	// Missed says. Too small a value makes a process with a slow clock
	// take a running schedule for a stopped one (and pass over slots
	// the others are about to take); too large makes a stopped schedule
	// catch up that much at its start. A process that is running the
	// schedule, and whose store answers, catches up however far behind
	// a slow store leaves it: each slot runs late rather than never. It
	// too counts the schedule as stopped after the store failed it, or
	// after it was itself stalled (suspended, starved of CPU) for more
	// than ClockSkew. Default DefaultClockSkew (1s); negative is invalid,
	// and so is more than MaxClockSkew.
	ClockSkew time.Duration

	// Options are the options of each slot's task: priority, max
	// attempts, delay and unique key, as gosk.Queue.Create takes them.
	// With a unique key, a slot whose previous task still holds the key
	// is taken without a task (the run is skipped, not queued). RunAt
	// must be zero: a slot's time is the schedule's.
	Options gosk.CreateOptions

	// RetryInterval is how long the schedule waits before it tries a
	// slot again when the store failed to take it. Default
	// DefaultScheduleRetry (1s).
	RetryInterval time.Duration

	// Clock is the process clock, which says when a slot is due. Default
	// time.Now.
	Clock func() time.Time

	// Logger receives the schedule's logs. Default: none.
	Logger *slog.Logger
}

// Schedule creates the tasks of a periodic schedule: one task per slot of
// its Spec, in its queue. Any number of processes may run the same
// schedule (same queue and name) on one store, with no leader: each slot
// becomes one task, whatever their number, their clocks and their
// restarts, because the store takes each slot once and in increasing
// order (driver.Scheduler). Make one with NewSchedule and call Run, next
// to the queue's workers.
type Schedule struct {
	sched   driver.Scheduler
	queue   string
	name    string
	spec    Spec
	newTask func(slot time.Time) (driver.NewTask, error)
	cfg     ScheduleConfig
	log     *slog.Logger

	// sleep waits for d or until ctx is done (then it returns ctx's
	// error). Tests replace it to move a clock instead of waiting.
	sleep func(ctx context.Context, d time.Duration) error
}

// NewSchedule returns the schedule called name of q, whose slots fall as
// spec says; payload makes the task's payload for a slot's time (nil: the
// zero T; a panic in it ends Run with a *PanicError). The name is text as driver.Slot says (not empty, at most
// driver.MaxUniqueKeyLen bytes). q's driver must implement
// driver.Scheduler, as every shipped driver does.
func NewSchedule[T any](q *gosk.Queue[T], name string, spec Spec, payload func(slot time.Time) T, cfg *ScheduleConfig) (*Schedule, error) {
	if q == nil {
		return nil, fmt.Errorf("%w: queue is nil", gosk.ErrInvalid)
	}
	sched, ok := q.Driver().(driver.Scheduler)
	if !ok {
		return nil, fmt.Errorf("%w: the driver of queue %q (%T) does not implement driver.Scheduler", gosk.ErrInvalid, q.Name(), q.Driver())
	}
	var c ScheduleConfig
	if cfg != nil {
		c = *cfg
	}
	if err := c.fill(); err != nil {
		return nil, err
	}
	if err := spec.check(c.Clock()); err != nil {
		return nil, err
	}
	opts := c.Options
	newTask := func(slot time.Time) (t driver.NewTask, err error) {
		var v T
		if payload != nil {
			// payload is the caller's code, run on Run's goroutine: a
			// panic in it is the slot's error, as a payload that does not
			// encode is, not the end of the process.
			defer func() {
				if p := recover(); p != nil {
					err = &PanicError{Value: fmt.Sprintf("the payload function of schedule %q panicked for slot %v: %v", name, slot, p), Stack: debug.Stack()}
				}
			}()
			v = payload(slot)
		}
		return q.NewTask(v, &opts)
	}
	// The name and the options are checked now, with a slot in range,
	// so that Run meets no invalid input.
	t, err := newTask(time.Unix(0, 0))
	if err != nil {
		return nil, fmt.Errorf("ScheduleConfig.Options: %w", err)
	}
	if err := driver.ValidateSlot(driver.Slot{Name: name, At: time.Unix(0, 0), Task: t}, driver.MaxPayloadLimit); err != nil {
		return nil, err
	}
	return &Schedule{
		sched: sched, queue: q.Name(), name: name, spec: spec, newTask: newTask, cfg: c,
		log: c.Logger.With("queue", q.Name(), "schedule", name), sleep: sleepCtx,
	}, nil
}

// fill sets defaults and checks the settings.
func (c *ScheduleConfig) fill() error {
	switch c.Missed {
	case 0:
		c.Missed = MissedRunLast
	case MissedRunLast, MissedSkip:
	default:
		return fmt.Errorf("%w: ScheduleConfig.Missed %d is neither MissedRunLast nor MissedSkip", gosk.ErrInvalid, c.Missed)
	}
	switch {
	case c.ClockSkew < 0:
		return fmt.Errorf("%w: ScheduleConfig.ClockSkew %v is negative", gosk.ErrInvalid, c.ClockSkew)
	case c.ClockSkew > MaxClockSkew:
		return fmt.Errorf("%w: ScheduleConfig.ClockSkew %v is over MaxClockSkew (%v)", gosk.ErrInvalid, c.ClockSkew, MaxClockSkew)
	case c.ClockSkew == 0:
		c.ClockSkew = DefaultClockSkew
	}
	switch {
	case c.RetryInterval < 0:
		return fmt.Errorf("%w: ScheduleConfig.RetryInterval %v is negative", gosk.ErrInvalid, c.RetryInterval)
	case c.RetryInterval == 0:
		c.RetryInterval = DefaultScheduleRetry
	}
	if !c.Options.RunAt.IsZero() {
		return fmt.Errorf("%w: ScheduleConfig.Options.RunAt is set; a slot's time is the schedule's", gosk.ErrInvalid)
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// Run creates the schedule's tasks, slot after slot, until ctx is done;
// then it returns nil. It returns early with an error when the driver is
// closed or refuses the slot's input. A failure of the store to take a
// slot is logged and the slot tried again after RetryInterval. Run
// starts no goroutine; several Runs of one Schedule, in one process or
// many, share its slots.
//
// Run follows the schedule from its latest slot in the store: each slot
// it takes is the one after the latest it saw, taken only if that is
// still the latest (driver.Slot.Expect), so no slot is passed over while
// it is untaken, whatever the clocks. When the latest slot is older than
// ClockSkew before now (no process ran the schedule for a while, or it
// never ran), Run starts it again as Missed says: at the last slot at or
// before now (MissedRunLast), or at the next slot (MissedSkip); if
// several processes do that at once, one of them does, and the others
// follow it.
func (s *Schedule) Run(ctx context.Context) error {
	var latest time.Time // the schedule's latest slot as last seen; zero: none
	seen := false        // whether latest was read from the store
	var took time.Time   // when the store last took this Run's slot at the first try
	for {
		now := s.cfg.Clock()
		recent := s.spec.prev(now.Add(-s.cfg.ClockSkew))
		// This Run is itself running the schedule if the store answered
		// it just now: then a latest slot older than the tolerance is
		// late (the store was slow), not stopped, and is caught up.
		running := !took.IsZero() && now.Sub(took) <= s.cfg.ClockSkew
		var at, after time.Time
		switch {
		case !seen:
			// Guess that the schedule is recent: take the slot at the
			// edge of the tolerance, if the one before it is the latest.
			at = recent
			if at.IsZero() {
				at = s.spec.next(now.Add(-s.cfg.ClockSkew))
			}
			after = s.spec.prev(at.Add(-time.Microsecond))
		case latest.IsZero() || latest.Before(recent) && !running:
			// Nobody took a slot within the tolerance: start afresh.
			at, after = s.spec.next(now), latest
			if s.cfg.Missed == MissedRunLast {
				if last := s.spec.prev(now); last.After(latest) {
					at = last
				}
			}
		default:
			at, after = s.spec.next(latest), latest
		}
		if !after.IsZero() && after.UTC().Year() < driver.MinSlotYear {
			// No slot before the stores' first year can have been taken
			// (a slot before 1970 of an interval of decades): expect none.
			after = time.Time{}
		}
		if at.IsZero() {
			s.log.Info("gosk: schedule has no more slots")
			<-ctx.Done()
			return nil
		}
		if !s.waitFor(ctx, at) {
			return nil
		}
		if due := laterOf(at, now); s.cfg.Clock().Sub(due) > s.cfg.ClockSkew {
			// The wait overran by more than the tolerance: this process
			// was stalled (suspended, starved), and ran nothing
			// meanwhile. Decide again from the clock as it is now.
			took = time.Time{}
			continue
		}
		r, firstTry, err := s.take(ctx, at, after)
		if err != nil {
			return runError(ctx, err)
		}
		latest, seen = r.Latest, true
		if firstTry && r.Latest.Equal(at) {
			took = s.cfg.Clock()
		}
	}
}

// laterOf returns the later of a and b.
func laterOf(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// runError is what Run returns after err: nil if it came from ctx being
// done (Run was stopped), err otherwise.
func runError(ctx context.Context, err error) error {
	select {
	case <-ctx.Done():
		return nil
	default:
		return err
	}
}

// waitFor waits until the clock reads at or later, and reports whether
// it did before ctx was done.
func (s *Schedule) waitFor(ctx context.Context, at time.Time) bool {
	for {
		d := at.Sub(s.cfg.Clock())
		if d <= 0 {
			return ctx.Err() == nil
		}
		if s.sleep(ctx, d) != nil {
			return false
		}
	}
}

// take takes the slot at if the schedule's latest slot is after (zero:
// none), trying again after a failure of the store, and returns the
// store's result and whether the store answered at the first try.
func (s *Schedule) take(ctx context.Context, at, after time.Time) (driver.SlotResult, bool, error) {
	for failures := 0; ; failures++ {
		t, err := s.newTask(at)
		if err != nil {
			return driver.SlotResult{}, false, err
		}
		r, err := s.sched.CreateSlot(ctx, driver.Slot{Name: s.name, At: at, Task: t, Expect: true, Latest: after})
		switch {
		case err == nil:
			s.logResult(at, r)
			return r, failures == 0, nil
		case ctx.Err() != nil, errors.Is(err, driver.ErrClosed), errors.Is(err, driver.ErrInvalid):
			return driver.SlotResult{}, false, fmt.Errorf("gosk: schedule %q of queue %q, slot %v: %w", s.name, s.queue, at, err)
		}
		s.log.Warn("gosk: could not take a slot; will retry", "slot", at, "error", err, "failures", failures+1)
		if err := s.sleep(ctx, s.cfg.RetryInterval); err != nil {
			return driver.SlotResult{}, false, err
		}
	}
}

func (s *Schedule) logResult(at time.Time, r driver.SlotResult) {
	switch {
	case r.Created:
		s.log.Debug("gosk: slot created", "slot", at, "task", r.ID)
	case r.Err != nil:
		s.log.Info("gosk: slot taken without a task: its unique key is held", "slot", at, "holder", r.ID)
	default:
		s.log.Debug("gosk: slot not taken: the schedule's latest is another", "slot", at, "latest", r.Latest)
	}
}

// sleepCtx waits for d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
