//go:build !race

package main

// raceDetector reports whether the test binary runs under the race
// detector.
const raceDetector = false
