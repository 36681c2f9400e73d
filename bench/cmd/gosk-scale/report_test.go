package main

import (
	"strings"
	"testing"
)

func TestStatTakesTheMedianOfPerRoundRatios(t *testing.T) {
	o := &outcome{}
	for round, v := range map[int][2]float64{1: {1000, 900}, 2: {2000, 1000}, 3: {1000, 700}} {
		o.records = append(o.records,
			record{Kind: "measure", Store: "sqlite", Case: "empty", Round: round, ProcessPerS: v[0]},
			record{Kind: "measure", Store: "sqlite", Case: "pending", Round: round, ProcessPerS: v[1]})
	}
	st := o.stat("sqlite", "pending", "empty", rate)
	// Ratios 0.9, 0.5, 0.7: median 0.7, not 900/1000 of the medians.
	if st.runs != 3 || st.value != 900 || st.ratio != 0.7 {
		t.Fatalf("stat = %+v, want 3 runs, value 900, ratio 0.7", st)
	}
}

func TestRenderMarksAMissedTarget(t *testing.T) {
	o := &outcome{settings: settings{rounds: 1, n: 20000, background: 1000000, stores: []string{"sqlite", "redis"}}}
	add := func(store, c string, v float64) {
		o.records = append(o.records, record{Kind: "measure", Store: store, Case: c, Round: 1, ProcessPerS: v})
	}
	add("sqlite", "empty", 10000)
	add("sqlite", "pending", 7000)
	add("sqlite", "final", 9000)
	add("redis", "empty", 30000)
	add("redis", "pending", 29000)
	add("redis", "final", 31000)
	out := render(o)
	for _, want := range []string{
		"| sqlite | 10,000 | 7,000 | 0.70× | 9,000 | 0.90× | **missed** |",
		"| redis | 30,000 | 29,000 | 0.97× | 31,000 | 1.03× | met |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

func TestCommas(t *testing.T) {
	for in, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1000000: "1,000,000", 123456789: "123,456,789"} {
		if got := commas(in); got != want {
			t.Errorf("commas(%d) = %q, want %q", in, got, want)
		}
	}
}
