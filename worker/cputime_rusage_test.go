//go:build linux || darwin

package worker_test

import (
	"syscall"
	"time"
)

// cpuTime returns the CPU time the process has used, user and system, and
// true; benchmarks report it per task, which a busy machine skews less
// than wall time.
func cpuTime() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
