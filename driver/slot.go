package driver

import (
	"fmt"
	"time"
)

// Years a Slot.At may fall in: every store holds these to the microsecond
// (a PostgreSQL timestamptz, Unix nanoseconds in an int64, a Lua number of
// microseconds).
const (
	// MinSlotYear is the earliest year of a Slot.At (and Slot.Latest).
	MinSlotYear = 1900
	// MaxSlotYear is the latest year of a Slot.At (and Slot.Latest).
	MaxSlotYear = 2200
)

// ValidateSlot checks a Slot for Scheduler.CreateSlot against a payload
// limit of maxPayload bytes (the driver's own; DefaultMaxPayloadLen when
// it has no option for it): Name is text (see "Text" in the package doc),
// not empty and at most MaxUniqueKeyLen bytes; At is not zero and falls
// within the years 1900 to 2200; Latest is zero without Expect, and with
// Expect zero or within those years and earlier than At (to the
// microsecond); Task passes the checks of ValidateNewTasksMax. It
// returns nil or an error wrapping ErrInvalid that names the field.
func ValidateSlot(s Slot, maxPayload int) error {
	if s.Name == "" {
		return fmt.Errorf("%w: slot name is empty", ErrInvalid)
	}
	if err := CheckText(s.Name, MaxUniqueKeyLen); err != nil {
		return fmt.Errorf("%w: slot name %w", ErrInvalid, err)
	}
	if s.At.IsZero() {
		return fmt.Errorf("%w: slot time is zero", ErrInvalid)
	}
	if y := s.At.UTC().Year(); y < MinSlotYear || y > MaxSlotYear {
		return fmt.Errorf("%w: slot time %v is outside the years %d to %d", ErrInvalid, s.At, MinSlotYear, MaxSlotYear)
	}
	switch {
	case !s.Expect && !s.Latest.IsZero():
		return fmt.Errorf("%w: slot's expected latest slot is set without Expect", ErrInvalid)
	case s.Expect && !s.Latest.IsZero():
		if y := s.Latest.UTC().Year(); y < MinSlotYear || y > MaxSlotYear {
			return fmt.Errorf("%w: slot's expected latest slot %v is outside the years %d to %d", ErrInvalid, s.Latest, MinSlotYear, MaxSlotYear)
		}
		if !SlotTime(s.Latest).Before(SlotTime(s.At)) {
			return fmt.Errorf("%w: slot's expected latest slot %v is not earlier than the slot %v", ErrInvalid, s.Latest, s.At)
		}
	}
	t := s.Task
	if len(t.Payload) > maxPayload {
		return fmt.Errorf("%w: slot task: payload is %d bytes, over the driver's payload limit of %d bytes", ErrInvalid, len(t.Payload), maxPayload)
	}
	if err := ValidateQueueName(t.Queue); err != nil {
		return fmt.Errorf("slot task: %w", err)
	}
	if err := CheckNewTask(t, nil); err != nil {
		return fmt.Errorf("%w: slot task: %w", ErrInvalid, err)
	}
	return nil
}

// SlotTime returns t as stores keep a slot's time: in UTC, cut to the
// microsecond, with no monotonic reading. Adapters store SlotTime(At)
// and compare slots by it, so two processes whose computed times differ
// below the microsecond take the same slot.
func SlotTime(t time.Time) time.Time {
	return t.UTC().Truncate(time.Microsecond).Round(0)
}

// Expected reports whether latest, a schedule's latest slot as a store
// keeps it (SlotTime; zero if it has none), meets s's expectation: it
// does always without s.Expect, and with it when latest is SlotTime of
// s.Latest (both zero included). An adapter that takes the slot checks
// this besides latest being earlier than At.
func Expected(s Slot, latest time.Time) bool {
	if !s.Expect {
		return true
	}
	if s.Latest.IsZero() || latest.IsZero() {
		return s.Latest.IsZero() && latest.IsZero()
	}
	return SlotTime(s.Latest).Equal(latest)
}

// SlotMicros returns SlotTime(t) as microseconds since the Unix epoch,
// the form in which the embedded and Redis adapters store it.
func SlotMicros(t time.Time) int64 {
	return SlotTime(t).UnixMicro()
}

// SlotFromMicros is the inverse of SlotMicros: the slot time, in UTC, of
// us microseconds since the Unix epoch.
func SlotFromMicros(us int64) time.Time {
	return time.UnixMicro(us).UTC()
}
