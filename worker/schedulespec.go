package worker

import (
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/gosk/gosk"
)

// MinEvery is the shortest interval Every takes: 10ms. Every slot is a
// write to the store by every process that runs the schedule.
const MinEvery = 10 * time.Millisecond

// MaxEvery is the longest interval Every takes: 100 years (of 365 days).
// Slots are whole multiples of the interval since 1970, and fall within
// the years driver.MinSlotYear to driver.MaxSlotYear, which every store
// keeps: a schedule of centuries would have its next slot out of them.
const MaxEvery = 100 * 365 * 24 * time.Hour

// Spec says when the slots of a schedule fall. Make one with Every or
// Cron; the zero Spec is invalid. Every process that runs a schedule
// computes the same slots from its Spec, whatever its clock: a slot is a
// time of the rule, not a reading of a clock.
type Spec struct {
	every time.Duration
	cron  cron.Schedule
	text  string // what the user wrote, for errors and logs
	err   error  // why the spec is invalid, reported by NewSchedule
}

// Every returns the Spec of a slot every d: the instants that are whole
// multiples of d since the Unix epoch (00:00 UTC, 1 January 1970). So
// Every(time.Hour) falls on the hour in UTC, and Every(15*time.Minute) at
// :00, :15, :30 and :45. d is kept to the microsecond, and is at least
// MinEvery (10ms) and at most MaxEvery (100 years).
func Every(d time.Duration) Spec {
	s := Spec{every: d, text: "every " + d.String()}
	switch {
	case d < MinEvery:
		s.err = fmt.Errorf("%w: schedule interval %v is shorter than %v (MinEvery)", gosk.ErrInvalid, d, MinEvery)
	case d > MaxEvery:
		s.err = fmt.Errorf("%w: schedule interval %v is longer than %v (MaxEvery, 100 years)", gosk.ErrInvalid, d, MaxEvery)
	case d%time.Microsecond != 0:
		s.err = fmt.Errorf("%w: schedule interval %v is not a whole number of microseconds", gosk.ErrInvalid, d)
	}
	return s
}

// cronParser reads five fields (minute, hour, day of month, month, day of
// week) with an optional leading seconds field, and the descriptors
// @yearly, @monthly, @weekly, @daily and @hourly.
var cronParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// Cron returns the Spec of a cron expression, as package
// github.com/robfig/cron/v3 reads it: five fields (minute, hour, day of
// month, month, day of week), or six with seconds first, or a descriptor
// such as @daily. Times are in UTC unless the expression starts with
// CRON_TZ=<IANA zone> ("CRON_TZ=Europe/Paris 0 9 * * MON-FRI"), which
// every process must be able to load. @every is refused: use Every, whose
// slots do not depend on when a process started.
func Cron(expr string) Spec {
	s := Spec{text: expr}
	body := strings.TrimSpace(expr)
	if strings.HasPrefix(body, "CRON_TZ=") || strings.HasPrefix(body, "TZ=") {
		if i := strings.IndexAny(body, " \t"); i >= 0 {
			body = strings.TrimSpace(body[i:])
		}
	} else if body != "" {
		expr = "CRON_TZ=UTC " + body
	}
	if strings.HasPrefix(body, "@every") {
		s.err = fmt.Errorf("%w: cron expression %q uses @every; use worker.Every, whose slots are the same in every process", gosk.ErrInvalid, s.text)
		return s
	}
	c, err := cronParser.Parse(expr)
	if err != nil {
		s.err = fmt.Errorf("%w: cron expression %q: %w", gosk.ErrInvalid, s.text, err)
		return s
	}
	s.cron = c
	return s
}

// String returns the spec as it was given.
func (s Spec) String() string { return s.text }

// check returns why s cannot be used, or nil.
func (s Spec) check(now time.Time) error {
	switch {
	case s.err != nil:
		return s.err
	case s.every == 0 && s.cron == nil:
		return fmt.Errorf("%w: schedule spec is the zero Spec; make one with worker.Every or worker.Cron", gosk.ErrInvalid)
	case s.cron != nil && s.cron.Next(now).IsZero():
		return fmt.Errorf("%w: cron expression %q has no time in the next five years", gosk.ErrInvalid, s.text)
	}
	return nil
}

// next returns the first slot after t, or the zero time if there is none
// (a cron expression whose times have all passed).
func (s Spec) next(t time.Time) time.Time {
	if s.cron != nil {
		return s.cron.Next(t).UTC()
	}
	return s.prev(t).Add(s.every)
}

// longestGap bounds how far back prev looks for a cron slot: cron finds
// times up to five years ahead, so no two slots are further apart.
const longestGap = 5 * 366 * 24 * time.Hour

// prev returns the last slot at or before t, or the zero time if there
// is none within longestGap.
func (s Spec) prev(t time.Time) time.Time {
	if s.cron == nil {
		us, step := t.UnixMicro(), s.every.Microseconds()
		k := us / step
		if us%step < 0 {
			k--
		}
		return time.UnixMicro(k * step).UTC()
	}
	// cron has no Prev: look back over windows that grow four times each
	// step, and walk forward from the first slot found.
	for w := time.Minute; w < 4*longestGap; w *= 4 {
		at := s.cron.Next(t.Add(-w))
		if at.IsZero() || at.After(t) {
			continue
		}
		for {
			n := s.cron.Next(at)
			if n.IsZero() || n.After(t) {
				return at.UTC()
			}
			at = n
		}
	}
	return time.Time{}
}
