// Package storeunit converts the port's durations to the units that
// stores keep, with one rounding rule for every adapter: up, so that a
// positive duration (a lease, a ping's extension, a delay) never becomes
// zero and none is shortened.
package storeunit

import "time"

// Micros is d in whole microseconds, rounded up (towards +∞): 1ns is
// 1µs, 1µs is 1µs, -1ns is 0.
func Micros(d time.Duration) int64 {
	us := d / time.Microsecond
	if d%time.Microsecond > 0 {
		us++
	}
	return int64(us)
}
