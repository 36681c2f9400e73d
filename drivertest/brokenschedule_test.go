package drivertest_test

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/gosk/gosk/driver"
)

// The broken drivers of driver.Scheduler: each keeps its own record of
// each schedule's latest slot (in broken.slots) and breaks the rule its
// name says. The broken driver with no name uses the memory driver's
// CreateSlot.

// slotBreaks lists the broken drivers whose CreateSlot is broken here.
var slotBreaks = []string{
	"slot-no-compare",
	"slot-check-then-act",
	"slot-accepts-earlier",
	"slot-forgets-on-purge",
	"slot-loses-precision",
	"slot-not-taken-on-duplicate",
	"slot-invalid-takes",
	"slot-ignores-expect",
}

// CreateSlot takes a slot as the broken driver's name says.
func (b *broken) CreateSlot(ctx context.Context, s driver.Slot) (driver.SlotResult, error) {
	for _, name := range slotBreaks {
		if b.name == name {
			return b.createSlot(ctx, s)
		}
	}
	if b.name == "slot-does-not-wake" {
		b.mute(s.Task.Queue)
	}
	return b.Driver.CreateSlot(ctx, s)
}

func slotKey(queue, name string) string { return queue + "\x00" + name }

func (b *broken) createSlot(ctx context.Context, s driver.Slot) (driver.SlotResult, error) {
	// Count tells whether the memory driver is closed: a closed driver
	// judges no input.
	if _, err := b.Driver.Count(ctx, "closed-probe"); errors.Is(err, driver.ErrClosed) {
		return driver.SlotResult{}, err
	}
	invalid := driver.ValidateSlot(s, driver.DefaultMaxPayloadLen)
	if invalid != nil && b.name != "slot-invalid-takes" {
		return driver.SlotResult{}, invalid
	}
	at := driver.SlotTime(s.At)
	if b.name == "slot-loses-precision" {
		at = at.Truncate(time.Millisecond)
	}
	key := slotKey(s.Task.Queue, s.Name)
	b.mu.Lock()
	latest, ok := b.slots[key]
	later := !ok || at.After(latest)
	if b.name != "slot-ignores-expect" && !driver.Expected(s, latest) {
		later = false
	}
	switch b.name {
	case "slot-no-compare":
		later = true
	case "slot-accepts-earlier":
		later = !ok || !at.Equal(latest)
	}
	if !later {
		b.mu.Unlock()
		return driver.SlotResult{Latest: latest}, nil
	}
	if b.name == "slot-check-then-act" {
		// The check and the write are two steps, a round trip apart as
		// on a networked store: another caller may check in between and
		// see the same latest slot. (A bare yield was too short a gap to
		// be met in every run on a loaded machine.)
		b.mu.Unlock()
		time.Sleep(100 * time.Microsecond)
		b.mu.Lock()
	}
	b.slots[key] = at
	b.mu.Unlock()
	if invalid != nil {
		return driver.SlotResult{}, invalid
	}
	res, err := b.Driver.Create(ctx, []driver.NewTask{s.Task})
	if err != nil {
		return driver.SlotResult{}, err
	}
	r := res[0]
	if errors.Is(r.Err, driver.ErrDuplicate) && b.name == "slot-not-taken-on-duplicate" {
		b.mu.Lock()
		if ok {
			b.slots[key] = latest
		} else {
			delete(b.slots, key)
		}
		b.mu.Unlock()
	}
	return driver.SlotResult{Created: r.Err == nil, ID: r.ID, Latest: at, Err: r.Err}, nil
}

// forgetSlots drops the slot records of queue, as a store that kept them
// with the tasks would on a purge.
func (b *broken) forgetSlots(queue string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for k := range b.slots {
		if strings.HasPrefix(k, slotKey(queue, "")) {
			delete(b.slots, k)
		}
	}
}
