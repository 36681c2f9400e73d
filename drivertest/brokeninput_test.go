package drivertest_test

import (
	"errors"
	"math"
)

// errLimitOutOfRange is the error of the broken driver huge-limit-fails for
// a limit it cannot pass on: what Redis answered a script that handed
// ZRANGE a limit of math.MaxInt as the float 9.2233720368548e+18.
var errLimitOutOfRange = errors.New("ERR value is not an integer or out of range")

// refuseHugeLimit returns errLimitOutOfRange for a limit over math.MaxInt32
// on the broken driver huge-limit-fails (Claim, List and Purge call it),
// as a store that keeps limits in 32 bits, or in a script's floats, would;
// nil otherwise.
func (b *broken) refuseHugeLimit(limit int) error {
	if b.name == "huge-limit-fails" && limit > math.MaxInt32 {
		return errLimitOutOfRange
	}
	return nil
}
