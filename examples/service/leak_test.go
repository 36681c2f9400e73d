package main

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

// childVar, set to 1 in the environment, makes the test binary run the
// program (main) instead of the tests: TestSIGTERM runs it so, as a
// process of its own that it can signal.
const childVar = "GOSK_SERVICE_EXAMPLE_CHILD"

// TestMain fails the package's tests if a goroutine outlives them, or
// runs the program when the binary is TestSIGTERM's child.
func TestMain(m *testing.M) {
	if os.Getenv(childVar) == "1" {
		main()
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}
