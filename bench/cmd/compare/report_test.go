package main

import (
	"strings"
	"testing"
	"time"

	"github.com/gosk/gosk/bench/harness"
)

func TestNumberFormats(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 999: "999", 1000: "1,000", 1234567.4: "1,234,567"} {
		if got := thousands(v); got != want {
			t.Errorf("thousands(%v) = %q, want %q", v, got, want)
		}
	}
	for r, want := range map[float64]string{1.456: "1.46×", 0.1: "0.10×", 0.0002: "0.00020×", 0.05: "0.050×"} {
		if got := ratio(r); got != want {
			t.Errorf("ratio(%v) = %q, want %q", r, got, want)
		}
	}
}

// TestRenderTakesMediansAndMarksWhereGoskIsWorse builds a report from
// made-up runs: the medians, the ratios, a failed program and the list of
// where gosk is slower must all show.
func TestRenderTakesMediansAndMarksWhereGoskIsWorse(t *testing.T) {
	res := func(p string, process, single float64) *harness.Result {
		return &harness.Result{Program: p, ProcessPerS: process, SinglePerS: single, BatchPerS: 1, NativeBatch: true,
			PickupP50Ms: 1, PickupP99Ms: 2, PeakRSSMiB: 10}
	}
	in := reportInput{
		Label: "made-up runs", Rounds: 3, N: 1000, Date: time.Unix(0, 0).UTC(),
		Programs: []string{"gosk-redis", "asynq-redis", "neoq-memory"},
		Runs: []run{
			{Program: "gosk-redis", Round: 1, Result: res("gosk-redis", 100, 10)},
			{Program: "gosk-redis", Round: 2, Result: res("gosk-redis", 300, 30)},
			{Program: "gosk-redis", Round: 3, Result: res("gosk-redis", 200, 20)},
			{Program: "asynq-redis", Round: 1, Result: res("asynq-redis", 50, 40)},
			{Program: "neoq-memory", Round: 1, Err: "exit status 1: boom"},
		},
	}
	out := render(in)
	for _, want := range []string{
		"> **made-up runs**",
		"| Redis | asynq-redis | 4.00× | **0.50×** |",            // medians 200/50 and 20/40
		"| gosk-redis | 3 of 3 | 20 | 1 | 200 |",                 // the median run, not the mean
		"| neoq-memory | 0 of 1 | failed: exit status 1: boom |", // a failed program stays in the table
		"- Redis, single enqueue: **0.50×** of asynq-redis",      // where gosk is slower
		"round 1 neoq-memory failed: exit status 1: boom",        // every run is kept
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}
