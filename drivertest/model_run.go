package drivertest

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// How many cases the model runs. rapid runs -rapid.checks cases (100 by
// default) per call; the model calls it again, with a new seed, up to
// modelRounds times, while the next round is expected to end within
// modelBudget of the first one's start. An in-process store runs all the
// rounds in about a second; a store behind a network or a disk, where one
// round takes seconds, runs one or two. A -rapid.checks, -rapid.seed or
// -rapid.failfile flag (or its RAPID_ environment variable) or -short means
// one call of rapid, as the flag says.
const (
	modelRounds = 10
	modelBudget = 3 * time.Second
)

// runModelChecks runs prop with rapid and, when it fails, reports the
// broken rule and the shortest failing sequence rapid found, as last
// returns them after rapid's final replay of that sequence.
func runModelChecks(t *testing.T, prop func(*rapid.T), last func() modelCase) {
	t.Helper()
	defer quietFailFiles()()
	rounds := modelRounds
	if testing.Short() || userSet("rapid.checks", "RAPID_CHECKS") || userSet("rapid.seed", "RAPID_SEED") || userSet("rapid.failfile", "RAPID_FAILFILE") {
		rounds = 1
	}
	verbose := flagOn("rapid.v") || flagOn("rapid.log")
	start := time.Now()
	for round := 1; round <= rounds; round++ {
		if round > 1 && time.Since(start)/time.Duration(round-1)*time.Duration(round) > modelBudget {
			rounds = round - 1
			break
		}
		tb := &modelTB{t: t, verbose: verbose}
		rapid.Check(tb, prop)
		if tb.failed {
			t.Error(modelReport(last(), tb.report.String()))
			t.FailNow()
		}
	}
	t.Logf("the model passed %d rounds of %s cases in %v (-rapid.checks=N runs N cases)",
		rounds, flagValue("rapid.checks"), time.Since(start).Round(time.Millisecond))
}

// modelReport is the failure message: the broken rule first, then the
// steps that lead to it, then how to run the case again.
func modelReport(c modelCase, rapidSays string) string {
	var b strings.Builder
	if c.failure == "" {
		// A panic, or a failure rapid could not reproduce: its own report
		// says what happened.
		b.WriteString("the model failed without naming a broken rule; rapid says:\n" + rapidSays)
	} else {
		b.WriteString(c.failure)
	}
	fmt.Fprintf(&b, "\nshortest failing sequence found (%d steps):", len(c.journal))
	for i, s := range c.journal {
		fmt.Fprintf(&b, "\n%4d. %s", i+1, s)
	}
	if c.failure != "" {
		for _, line := range strings.Split(rapidSays, "\n") {
			if strings.HasPrefix(line, "To reproduce") {
				b.WriteString("\nrapid: " + line)
			}
		}
	}
	return b.String()
}

// modelTB is the rapid.TB the model runs under: it keeps rapid's logs (every
// draw of every step of the final replay) out of the test's output unless
// -rapid.v or -rapid.log asks for them, and keeps rapid's failure report
// for modelReport.
type modelTB struct {
	t       *testing.T
	verbose bool
	failed  bool
	report  strings.Builder
}

func (m *modelTB) Helper()      { m.t.Helper() }
func (m *modelTB) Name() string { return m.t.Name() }
func (m *modelTB) Logf(format string, args ...any) {
	if m.verbose {
		m.t.Helper()
		m.t.Logf(format, args...)
	}
}
func (m *modelTB) Log(args ...any) {
	if m.verbose {
		m.t.Helper()
		m.t.Log(args...)
	}
}
func (m *modelTB) Skipf(format string, args ...any) { m.t.Helper(); m.t.Skipf(format, args...) }
func (m *modelTB) Skip(args ...any)                 { m.t.Helper(); m.t.Skip(args...) }
func (m *modelTB) SkipNow()                         { m.t.Helper(); m.t.SkipNow() }
func (m *modelTB) Errorf(format string, args ...any) {
	m.failed = true
	fmt.Fprintf(&m.report, format+"\n", args...)
}
func (m *modelTB) Error(args ...any) {
	m.failed = true
	fmt.Fprintln(&m.report, args...)
}
func (m *modelTB) Fatalf(format string, args ...any) { m.Errorf(format, args...) }
func (m *modelTB) Fatal(args ...any)                 { m.Error(args...) }

// FailNow only marks the failure: rapid calls it last, and the report
// comes after it.
func (m *modelTB) FailNow()     { m.failed = true }
func (m *modelTB) Fail()        { m.failed = true }
func (m *modelTB) Failed() bool { return m.failed }

// rapid writes a failing case to testdata/rapid in the current directory,
// which is the package of the driver under test. The model asks it not to,
// unless the user set -rapid.nofailfile (or RAPID_NOFAILFILE) themselves:
// -rapid.nofailfile=false writes them. rapid reads the flag only as a
// variable, so the model sets it while any model runs in the process and
// puts it back after the last.
var failFiles struct {
	sync.Mutex
	users int
	was   string
}

func quietFailFiles() (restore func()) {
	f := flag.Lookup("rapid.nofailfile")
	if f == nil || userSet("rapid.nofailfile", "RAPID_NOFAILFILE") {
		return func() {}
	}
	failFiles.Lock()
	defer failFiles.Unlock()
	if failFiles.users == 0 {
		failFiles.was = f.Value.String()
		_ = f.Value.Set("true")
	}
	failFiles.users++
	return func() {
		failFiles.Lock()
		defer failFiles.Unlock()
		if failFiles.users--; failFiles.users == 0 {
			_ = f.Value.Set(failFiles.was)
		}
	}
}

// userSet reports whether the user set flag name on the command line or
// rapid's environment variable env.
func userSet(name, env string) bool {
	if _, ok := os.LookupEnv(env); ok {
		return true
	}
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func flagValue(name string) string {
	if f := flag.Lookup(name); f != nil {
		return f.Value.String()
	}
	return "?"
}

func flagOn(name string) bool {
	on, _ := strconv.ParseBool(flagValue(name))
	return on
}
