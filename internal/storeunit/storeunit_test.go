package storeunit_test

import (
	"math"
	"testing"
	"time"

	"github.com/gosk/gosk/internal/storeunit"
)

func TestMicrosRoundsUp(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want int64
	}{
		{0, 0},
		{time.Nanosecond, 1},
		{999 * time.Nanosecond, 1},
		{time.Microsecond, 1},
		{time.Microsecond + time.Nanosecond, 2},
		{1500 * time.Nanosecond, 2},
		{time.Second, 1_000_000},
		{24 * time.Hour, 86_400_000_000},
		{-time.Nanosecond, 0},
		{-1500 * time.Nanosecond, -1},
		{math.MaxInt64, math.MaxInt64/1000 + 1},
	} {
		if got := storeunit.Micros(c.d); got != c.want {
			t.Errorf("Micros(%v) = %d, want %d", c.d, got, c.want)
		}
	}
}

func TestNanosAfterSaturates(t *testing.T) {
	if got := storeunit.NanosAfter(100, 5); got != 105 {
		t.Errorf("NanosAfter(100, 5) = %d, want 105", got)
	}
	if got := storeunit.NanosAfter(math.MaxInt64-10, time.Hour); got != math.MaxInt64 {
		t.Errorf("NanosAfter near the end = %d, want MaxInt64", got)
	}
	if got := storeunit.NanosAfter(1_000, -time.Duration(400)); got != 600 {
		t.Errorf("NanosAfter(1000, -400ns) = %d, want 600", got)
	}
}

func TestNanosKeepsMicrosecondsAndSaturates(t *testing.T) {
	at := time.Date(2026, 12, 3, 7, 0, 0, 123_456_789, time.UTC)
	if got, want := storeunit.Nanos(at), at.Truncate(time.Microsecond).UnixNano(); got != want {
		t.Errorf("Nanos(%v) = %d, want %d (to the microsecond)", at, got, want)
	}
	if got := storeunit.Nanos(time.Time{}); got != 0 {
		t.Errorf("Nanos(zero) = %d, want 0", got)
	}
	far := time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)
	if got := storeunit.Nanos(far); got != math.MaxInt64 {
		t.Errorf("Nanos(%v) = %d, want MaxInt64", far, got)
	}
	last := time.Unix(0, math.MaxInt64).Truncate(time.Microsecond)
	if got := storeunit.Nanos(last); got != last.UnixNano() {
		t.Errorf("Nanos(%v) = %d, want %d", last, got, last.UnixNano())
	}
}
