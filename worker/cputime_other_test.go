//go:build !linux && !darwin

package worker_test

import "time"

// cpuTime reports false: this system's process CPU time is not read.
func cpuTime() (time.Duration, bool) { return 0, false }
