package main

import (
	"fmt"
	"slices"
	"strings"
)

// sizeMethod says what each store's size counts.
var sizeMethod = map[string]string{
	"memory":      "Go heap after a GC (HeapAlloc)",
	"sqlite":      "database file after a WAL checkpoint (TRUNCATE), plus the WAL",
	"bbolt":       "the file",
	"postgres":    "pg_total_relation_size of gosk's tables",
	"postgres-av": "pg_total_relation_size of gosk's tables",
	"redis":       "INFO used_memory of the whole (throwaway) server",
}

func renderSizes(b *strings.Builder, o *outcome) {
	p := func(format string, a ...any) { fmt.Fprintf(b, format, a...) }
	p("\n## Bytes per task held (%s pending tasks of 100 bytes, then all cancelled and purged)\n\n", commas(int64(o.settings.sizeTasks)))
	p("| store | counted | empty | with the tasks | bytes per task | after purge | shrank after purge | after VACUUM |\n|---|---|---|---|---|---|---|---|\n")
	for _, st := range o.settings.stores {
		for _, r := range o.records {
			if r.Kind != "size" || r.Store != st {
				continue
			}
			per := float64(r.SizeCreated-r.SizeBefore) / float64(r.Tasks)
			shrank := "no"
			if r.SizePurged < r.SizeCreated {
				shrank = fmt.Sprintf("yes, by %.0f%% of the growth", 100*float64(r.SizeCreated-r.SizePurged)/float64(max(1, r.SizeCreated-r.SizeBefore)))
			}
			vac := "–"
			if r.SizeVacuumed > 0 {
				vac = commas(r.SizeVacuumed)
			}
			p("| %s | %s | %s | %s | %.0f | %s | %s | %s |\n", st, sizeMethod[st], commas(r.SizeBefore), commas(r.SizeCreated), per, commas(r.SizePurged), shrank, vac)
		}
	}
}

func renderRuns(b *strings.Builder, o *outcome) {
	p := func(format string, a ...any) { fmt.Fprintf(b, format, a...) }
	p("\n## Setup of the kept stores\n\n| store | background | tasks | seconds | tasks/s | note |\n|---|---|---|---|---|---|\n")
	for _, r := range o.records {
		if r.Kind == "setup" {
			p("| %s | %s | %s | %.1f | %s | %s |\n", r.Store, r.Case, commas(int64(r.Tasks)), r.Seconds, num(float64(r.Tasks)/r.Seconds), r.Note)
		}
	}
	p("\nmemory fills its background in the measuring process, at every run (seconds in the runs below).\n")
	p("\n## Every run\n\n| store | case | round | tasks/s | claim p50 ms | worker RSS MiB | setup s | note |\n|---|---|---|---|---|---|---|---|\n")
	runs := slices.Clone(o.records)
	order := func(list []string, v string) int { return slices.Index(list, v) }
	slices.SortStableFunc(runs, func(x, y record) int {
		if c := order(o.settings.stores, x.Store) - order(o.settings.stores, y.Store); c != 0 {
			return c
		}
		if c := order(caseOrder, x.Case) - order(caseOrder, y.Case); c != 0 {
			return c
		}
		return x.Round - y.Round
	})
	for _, r := range runs {
		if r.Kind != "measure" {
			continue
		}
		setup := "–"
		if r.Seconds > 0 {
			setup = fmt.Sprintf("%.1f", r.Seconds)
		}
		p("| %s | %s | %d | %s | %s | %s | %s | %s |\n", r.Store, r.Case, r.Round, num(r.ProcessPerS), num(r.ClaimP50Ms), num(r.WorkerRSSMiB), setup, r.Note)
	}
	if len(o.failures) > 0 {
		p("\n## Failures\n\n")
		for _, f := range o.failures {
			p("- %s: `%s`\n", f.What, strings.ReplaceAll(strings.ReplaceAll(f.Err, "\n", " "), "`", "'"))
		}
	}
}
