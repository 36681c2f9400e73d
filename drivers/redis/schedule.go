package redis

import (
	"context"
	"fmt"
	"strconv"

	"github.com/gosk/gosk/driver"
)

// CreateSlot takes a schedule's slot and creates its task; see
// driver.Scheduler. It is one script (slot.lua, running create.lua's code
// for the task) on the queue's hash slot: the schedule's record is a field
// of the queue's "schedules" hash, in the same slot as the queue's other
// keys, so the compare, the create and the record's move are atomic on a
// single server and on a cluster alike. Purging tasks leaves the record
// alone.
func (d *Driver) CreateSlot(ctx context.Context, s driver.Slot) (driver.SlotResult, error) {
	if err := d.begin(ctx, driver.ValidateSlot(s, d.maxPayload)); err != nil {
		return driver.SlotResult{}, err
	}
	at := driver.SlotMicros(s.At)
	c := d.createCall(d.keys.queueSlot(s.Task.Queue), 0, []driver.NewTask{s.Task}, []int{0}, false)
	c.script = d.s.slot
	expect, expected := "0", ""
	if s.Expect {
		expect = "1"
		if !s.Latest.IsZero() {
			expected = strconv.FormatInt(driver.SlotMicros(s.Latest), 10)
		}
	}
	c.args = append(c.args, s.Name, at, expect, expected)
	replies, err := d.run(ctx, []call{c})
	if err != nil {
		return driver.SlotResult{}, err
	}
	return parseSlot(replies[0], at)
}

// parseSlot reads slot.lua's reply for the slot at (µs).
func parseSlot(reply any, at int64) (driver.SlotResult, error) {
	v, ok := reply.([]any)
	if !ok || len(v) < 2 {
		return driver.SlotResult{}, fmt.Errorf("gosk/redis: slot script replied %T of %d items", reply, len(v))
	}
	if taken, _ := v[0].(int64); taken == 0 {
		s, _ := v[1].(string)
		if s == "" {
			return driver.SlotResult{}, nil // the schedule has no slot yet
		}
		latest, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return driver.SlotResult{}, fmt.Errorf("gosk/redis: bad latest slot %q from script: %w", s, err)
		}
		return driver.SlotResult{Latest: driver.SlotFromMicros(latest)}, nil
	}
	if len(v) != 3 {
		return driver.SlotResult{}, fmt.Errorf("gosk/redis: slot script replied %d items for a taken slot", len(v))
	}
	id, err := parseID(v[1])
	if err != nil {
		return driver.SlotResult{}, err
	}
	code, _ := v[2].(int64)
	r := itemError(code)
	return driver.SlotResult{Created: r == nil, ID: id, Latest: driver.SlotFromMicros(at), Err: r}, nil
}
