package driver_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
)

func TestValidateSlot(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	good := driver.Slot{Name: "nightly", At: at, Task: driver.NewTask{Queue: "q", MaxAttempts: 1}}
	require.NoError(t, driver.ValidateSlot(good, driver.DefaultMaxPayloadLen))
	expect := good
	expect.Expect, expect.Latest = true, at.Add(-time.Microsecond)
	require.NoError(t, driver.ValidateSlot(expect, driver.DefaultMaxPayloadLen), "an expected latest slot a microsecond earlier")
	for what, tc := range map[string]struct {
		change func(*driver.Slot)
		want   string
	}{
		"empty name":          {func(s *driver.Slot) { s.Name = "" }, "slot name is empty"},
		"name not UTF-8":      {func(s *driver.Slot) { s.Name = "\xff" }, "slot name is not valid UTF-8"},
		"zero time":           {func(s *driver.Slot) { s.At = time.Time{} }, "slot time is zero"},
		"year 2201":           {func(s *driver.Slot) { s.At = time.Date(2201, 1, 1, 0, 0, 0, 0, time.UTC) }, "outside the years 1900 to 2200"},
		"latest, no expect":   {func(s *driver.Slot) { s.Latest = at.Add(-time.Hour) }, "without Expect"},
		"latest same µs":      {func(s *driver.Slot) { s.Expect, s.Latest = true, at.Add(500*time.Nanosecond) }, "not earlier than the slot"},
		"latest out of range": {func(s *driver.Slot) { s.Expect, s.Latest = true, time.Date(1899, 1, 1, 0, 0, 0, 0, time.UTC) }, "expected latest slot"},
		"bad queue":           {func(s *driver.Slot) { s.Task.Queue = "" }, "queue name is empty"},
		"no attempts":         {func(s *driver.Slot) { s.Task.MaxAttempts = 0 }, "slot task: max attempts"},
		"payload over limit":  {func(s *driver.Slot) { s.Task.Payload = make([]byte, 11) }, "payload limit of 10"},
	} {
		s := good
		tc.change(&s)
		err := driver.ValidateSlot(s, 10)
		require.ErrorIs(t, err, driver.ErrInvalid, what)
		assert.Contains(t, err.Error(), tc.want, what)
	}
}

func TestSlotTime(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.FixedZone("x", 3600))
	st := driver.SlotTime(at)
	assert.Equal(t, time.UTC, st.Location())
	assert.Equal(t, 123456000, st.Nanosecond(), "kept to the microsecond")
	assert.True(t, driver.SlotFromMicros(driver.SlotMicros(at)).Equal(st))
	before := time.Date(1950, 1, 1, 0, 0, 0, 999, time.UTC)
	assert.True(t, driver.SlotFromMicros(driver.SlotMicros(before)).Equal(driver.SlotTime(before)), "times before the epoch too")
}

func TestExpected(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s := driver.Slot{At: at.Add(time.Hour)}
	assert.True(t, driver.Expected(s, at), "without Expect, any latest slot")
	s.Expect = true
	assert.True(t, driver.Expected(s, time.Time{}), "expecting none, and none")
	assert.False(t, driver.Expected(s, at), "expecting none, but one")
	s.Latest = at.Add(500 * time.Nanosecond)
	assert.True(t, driver.Expected(s, at), "the expected slot, to the microsecond")
	assert.False(t, driver.Expected(s, time.Time{}), "expecting one, but none")
	assert.False(t, driver.Expected(s, at.Add(time.Microsecond)), "expecting one, but another")
}
