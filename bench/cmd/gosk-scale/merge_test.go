package main

import (
	"strings"
	"testing"
	"time"
)

// report renders a one-round report of stores, each processing at rate
// (empty, pending and final alike), written at the given time.
func report(stores []string, rate float64, written time.Time, failures ...failure) string {
	o := &outcome{settings: settings{rounds: 1, n: 20000, background: 1000000, n10k: 5000, n1m: 200, stores: stores},
		started: written, env: []string{"CPUs: 2"}, failures: failures}
	for _, st := range stores {
		o.env = append(o.env, st+": settings of "+st)
		for _, c := range []string{"empty", "pending", "final"} {
			o.records = append(o.records, record{Kind: "measure", Store: st, Case: c, Round: 1, ProcessPerS: rate})
		}
		o.records = append(o.records, record{Kind: "setup", Store: st, Case: "final", Tasks: 1000, Seconds: 1})
	}
	return render(o)
}

func TestMergeKeepsTheStoresNotMeasured(t *testing.T) {
	early := time.Date(2026, 12, 3, 7, 5, 0, 0, time.UTC)
	old := report(allStores, 1000, early, failure{What: "round 1 redis final", Err: "boom"}, failure{What: "round 1 memory final", Err: "old memory failure"})
	fresh := report([]string{"memory", "bbolt"}, 5000, early.Add(time.Hour))
	got := mergeReport(old, fresh, []string{"memory", "bbolt"})
	for _, want := range []string{
		"| memory | 5,000 | 5,000 | 1.00× | 5,000 | 1.00× | met |\n| sqlite | 1,000 | 1,000 | 1.00× |",
		"| bbolt | 5,000 | 5,000 |",
		"| redis | 1,000 | 1,000 |",
		"- sqlite: settings of sqlite",
		"- memory: settings of memory",
		"| postgres | final | 1,000 |",
		"- round 1 redis final: `boom`",
		measuredPrefix + "memory, bbolt on 2026-12-03 08:05 UTC (this run); sqlite, postgres, postgres-av, redis on 2026-12-03 07:05 UTC (rows kept",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("merged report lacks %q:\n%s", want, got)
		}
	}
	for _, gone := range []string{"| memory | 1,000 |", "| bbolt | 1,000 |", "old memory failure"} {
		if strings.Contains(got, gone) {
			t.Errorf("merged report keeps the earlier run's %q of a store measured again", gone)
		}
	}

	// A second restricted run reads the first's line of dates back.
	again := mergeReport(got, report([]string{"redis"}, 7000, early.Add(2*time.Hour)), []string{"redis"})
	want := measuredPrefix + "redis on 2026-12-03 09:05 UTC (this run); memory, bbolt on 2026-12-03 08:05 UTC (rows kept from that run: its machine, load and settings may differ); sqlite, postgres, postgres-av on 2026-12-03 07:05 UTC"
	if !strings.Contains(again, want) || strings.Count(again, measuredPrefix) != 1 {
		t.Errorf("second merge lacks %q once:\n%s", want, again)
	}
	if !strings.Contains(again, "| memory | 5,000 |") || !strings.Contains(again, "| redis | 7,000 |") {
		t.Errorf("second merge lost a row:\n%s", again)
	}
}

func TestMergeDropsTablesWithOtherColumns(t *testing.T) {
	early := time.Date(2026, 12, 3, 7, 5, 0, 0, time.UTC)
	old := report(allStores, 1000, early)
	o := &outcome{settings: settings{rounds: 1, n: 2000, background: 100000, n10k: 5000, n1m: 200, stores: []string{"memory"}}, started: early.Add(time.Hour)}
	got := mergeReport(old, render(o), []string{"memory"})
	if strings.Contains(got, "| sqlite | 1,000 | 1,000 |") {
		t.Errorf("rows of another background were kept:\n%s", got)
	}
	if !strings.Contains(got, "were not kept, as their columns differ from this run's: Process rate") {
		t.Errorf("merged report does not say which tables it dropped:\n%s", got)
	}
}
