// Package storeunit converts the port's durations to the units that
// stores keep, with one rounding rule for every adapter: up, so that a
// positive duration (a lease, a ping's extension, a delay) never becomes
// zero and none is shortened.
package storeunit

import (
	"math"
	"time"
)

// Micros is d in whole microseconds, rounded up (towards +∞): 1ns is
// 1µs, 1µs is 1µs, -1ns is 0.
func Micros(d time.Duration) int64 {
	us := d / time.Microsecond
	if d%time.Microsecond > 0 {
		us++
	}
	return int64(us)
}

// NanosAfter is the instant d after now, both in Unix nanoseconds (what
// the embedded stores keep), held at the largest instant an int64 holds
// (in 2262) rather than wrapping round to a time long past, which would
// make a task delayed by centuries available at once.
func NanosAfter(now int64, d time.Duration) int64 {
	if int64(d) > math.MaxInt64-now {
		return math.MaxInt64
	}
	return now + int64(d)
}

// Nanos is t in Unix nanoseconds (what the embedded stores keep), to the
// microsecond as every store keeps a time it is given, and held at the
// largest instant an int64 holds (in 2262) as NanosAfter is; the zero
// time is 0, which the embedded stores read back as unset.
func Nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	t = t.Truncate(time.Microsecond)
	if t.After(time.Unix(0, math.MaxInt64)) {
		return math.MaxInt64
	}
	return t.UnixNano()
}
