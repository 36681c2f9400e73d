package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	goredis "github.com/redis/go-redis/v9"
)

// target is the bar: with the background held, the process rate
// stays at or above this share of the empty store's.
const targetRatio = 0.8

// describe reads the machine and the servers' settings for the report.
func describe(ctx context.Context, s settings, t target) []string {
	load, _ := os.ReadFile("/proc/loadavg")
	env := []string{
		fmt.Sprintf("CPUs: %d; Go %s; load average at the start: %s", runtime.NumCPU(), runtime.Version(), strings.Join(strings.Fields(string(load))[:min(3, len(strings.Fields(string(load))))], " ")),
	}
	pg := func(name, url string) {
		if url == "" {
			return
		}
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			env = append(env, fmt.Sprintf("%s: %v", name, err))
			return
		}
		defer conn.Close(context.WithoutCancel(ctx))
		var parts []string
		for _, k := range []string{"server_version", "autovacuum", "fsync", "synchronous_commit", "shared_buffers", "autovacuum_naptime"} {
			var v string
			if err := conn.QueryRow(ctx, "SELECT current_setting($1)", k).Scan(&v); err == nil {
				parts = append(parts, k+" "+v)
			}
		}
		env = append(env, name+": "+strings.Join(parts, ", "))
	}
	if contains(s.stores, "postgres") {
		pg("postgres (the shared server of .ci/services)", t.pgURL)
	}
	pg("postgres-av (a throwaway server this program started)", t.pgAVURL)
	if t.redisURL != "" {
		if opts, err := goredis.ParseURL(t.redisURL); err == nil {
			c := goredis.NewClient(opts)
			info, _ := c.Info(ctx, "server").Result()
			_ = c.Close()
			for line := range strings.SplitSeq(info, "\n") {
				if v, ok := strings.CutPrefix(strings.TrimSpace(line), "redis_version:"); ok {
					env = append(env, "redis: a throwaway redis-server "+v+" this program started, save \"\", appendonly no")
				}
			}
		}
	}
	return env
}

// series returns the measure records of one store and case, by round.
func (o *outcome) series(store, c string) map[int]record {
	m := map[int]record{}
	for _, r := range o.records {
		if r.Kind == "measure" && r.Store == store && r.Case == c {
			m[r.Round] = r
		}
	}
	return m
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	v = slices.Clone(v)
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// stat is a median and, where the case's round has a baseline in the same
// round, the median of the per-round ratios to it.
type stat struct {
	value, ratio float64
	runs         int
}

func (o *outcome) stat(store, c, base string, f func(record) float64) stat {
	cs, bs := o.series(store, c), o.series(store, base)
	var vals, ratios []float64
	for round, r := range cs {
		vals = append(vals, f(r))
		if b, ok := bs[round]; ok && f(b) > 0 {
			ratios = append(ratios, f(r)/f(b))
		}
	}
	return stat{value: median(vals), ratio: median(ratios), runs: len(vals)}
}

func rate(r record) float64     { return r.ProcessPerS }
func claimP50(r record) float64 { return r.ClaimP50Ms }
func claimP99(r record) float64 { return r.ClaimP99Ms }
func rssOf(r record) float64    { return r.WorkerRSSMiB }
func mbps(r record) float64     { return r.MBPerS }

func num(v float64) string {
	switch {
	case v == 0:
		return "–"
	case v >= 100:
		return commas(int64(v + 0.5))
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	case v >= 1:
		return fmt.Sprintf("%.2f", v)
	}
	return fmt.Sprintf("%.3f", v)
}

func commas(n int64) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func times(st stat) string {
	if st.runs == 0 || st.ratio == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f×", st.ratio)
}

func render(o *outcome) string {
	s := o.settings
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	p("# gosk at scale: each driver against its own empty store\n\n")
	p("<!-- Written by bench/cmd/gosk-scale (make bench-scale); edit the program, not this file. -->\n\n")
	if s.label != "" {
		p("%s\n\n", s.label)
	}
	rounds := map[int]bool{}
	for _, r := range o.records {
		if r.Kind == "measure" {
			rounds[r.Round] = true
		}
	}
	roundsNote := fmt.Sprint(len(rounds))
	if len(rounds) < s.rounds {
		roundsNote = fmt.Sprintf("%d (of the %d asked for: the run was stopped early, and the last may be partial)", len(rounds), s.rounds)
	}
	p("Medians of %s interleaved round(s), written %s UTC, in %v. n = %s tasks of 100 bytes per case; background = %s tasks; every ratio is the case's figure over the empty store's in the same round, and the median of those ratios. Rerun with `make bench-scale` (bench/README.md says what it does).\n\n",
		roundsNote, o.started.UTC().Format("2006-01-02 15:04"), o.elapsed.Round(time.Second), commas(int64(s.n)), commas(int64(s.background)))
	p("## Machine and settings\n\n")
	for _, e := range o.env {
		p("- %s\n", e)
	}
	p("- Workers: one worker of 16 handlers of a no-op handler per process, started in processes of their own that open the store and wait; the time runs from the signal to start until the handlers have been called n times (the store's counts are checked afterwards, untimed). memory is in-process only: its worker runs in the measuring process, which also holds the store.\n")
	p("- Background: pending tasks are created with a delay of ten years, in the same queue, so they stay pending and out of every claim; final tasks are created available in batches of 1,000, each batch then cancelled by ID (claiming and completing them instead made the setup slow down as it went on PostgreSQL with autovacuum off). Both stores are made once per run (the times are below) and kept across the rounds: after each pending round the processed tasks are purged again; the final store keeps the processed ones (up to %s more final tasks by the last round).\n", commas(int64(s.rounds*(s.n+s.latency))))
	p("- Claim latency: %d single claims (limit 1, Fifo) of available tasks, one after another, before the workers start.\n\n", s.latency)

	p("## Process rate with the background held (target: ≥ %.1f× the empty store)\n\n", targetRatio)
	p("| store | empty tasks/s | %s pending: tasks/s | ratio | %s final: tasks/s | ratio | target |\n|---|---|---|---|---|---|---|\n", commas(int64(s.background)), commas(int64(s.background)))
	for _, st := range s.stores {
		e, pe, fi := o.stat(st, "empty", "empty", rate), o.stat(st, "pending", "empty", rate), o.stat(st, "final", "empty", rate)
		verdict := "met"
		for _, x := range []stat{pe, fi} {
			if x.runs > 0 && x.ratio < targetRatio {
				verdict = "**missed**"
			}
		}
		p("| %s | %s | %s | %s | %s | %s | %s |\n", st, num(e.value), num(pe.value), times(pe), num(fi.value), times(fi), verdict)
	}
	p("\n## Claim latency: single claims (ms)\n\n")
	p("| store | empty p50 | pending p50 | ratio | final p50 | ratio | empty p99 | pending p99 | final p99 |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, st := range s.stores {
		e, pe, fi := o.stat(st, "empty", "empty", claimP50), o.stat(st, "pending", "empty", claimP50), o.stat(st, "final", "empty", claimP50)
		p("| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", st, num(e.value), num(pe.value), times(pe), num(fi.value), times(fi),
			num(o.stat(st, "empty", "", claimP99).value), num(o.stat(st, "pending", "", claimP99).value), num(o.stat(st, "final", "", claimP99).value))
	}
	p("\n## Four worker processes against one (16 handlers each, one store)\n\n")
	p("| store | 1 × 16 tasks/s | 4 × 16 tasks/s | ratio |\n|---|---|---|---|\n")
	for _, st := range s.stores {
		if !multiProcess(st) {
			why := "in-process only: no other process can reach it"
			if st == "bbolt" {
				why = "bbolt locks its file to one process at a time"
			}
			p("| %s | %s | – | – (%s) |\n", st, num(o.stat(st, "empty", "", rate).value), why)
			continue
		}
		four := o.stat(st, "procs4", "empty", rate)
		p("| %s | %s | %s | %s |\n", st, num(o.stat(st, "empty", "", rate).value), num(four.value), times(four))
	}
	p("\n## Payloads (one worker process of 16 handlers; 10 KB: n = %s, 1 MB: n = %s)\n\n", commas(int64(s.n10k)), commas(int64(s.n1m)))
	p("| store | 100 B tasks/s | MB/s | 10 KB tasks/s | ratio | MB/s | 1 MB tasks/s | ratio | MB/s |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, st := range s.stores {
		k, m := o.stat(st, "payload10k", "empty", rate), o.stat(st, "payload1m", "empty", rate)
		p("| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", st, num(o.stat(st, "empty", "", rate).value), num(o.stat(st, "empty", "", mbps).value),
			num(k.value), times(k), num(o.stat(st, "payload10k", "", mbps).value), num(m.value), times(m), num(o.stat(st, "payload1m", "", mbps).value))
	}
	renderSizes(&b, o)
	p("\n## Worker peak RSS (MiB, VmHWM of the worker process at its end)\n\n")
	p("| store | empty | %s pending | ratio | %s final | ratio |\n|---|---|---|---|---|---|\n", commas(int64(s.background)), commas(int64(s.background)))
	for _, st := range s.stores {
		pe, fi := o.stat(st, "pending", "empty", rssOf), o.stat(st, "final", "empty", rssOf)
		p("| %s | %s | %s | %s | %s | %s |\n", st, num(o.stat(st, "empty", "", rssOf).value), num(pe.value), times(pe), num(fi.value), times(fi))
	}
	p("\nmemory's figure is the measuring process's, which holds the store itself; bbolt's includes the pages of its memory-mapped file that the worker touched.\n")
	renderRuns(&b, o)
	return b.String()
}
