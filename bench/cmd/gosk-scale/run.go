package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// failure is a child run that gave no record.
type failure struct {
	What string
	Err  string
}

// outcome is everything one run of the program gathered.
type outcome struct {
	settings settings
	env      []string
	records  []record
	failures []failure
	started  time.Time
	elapsed  time.Duration
}

func run(ctx context.Context, s settings, t target) error {
	o := &outcome{settings: s, started: time.Now()}
	if t.dir == "" {
		dir, err := os.MkdirTemp("", "gosk-scale-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		t.dir = dir
	}
	if contains(s.stores, "redis") {
		rs, err := startRedis(ctx)
		if err != nil {
			return err
		}
		defer rs.stop()
		t.redisURL = rs.url
		log.Printf("throwaway Redis at %s", rs.url)
	}
	if contains(s.stores, "postgres-av") {
		pg, err := startPostgresAV(ctx)
		if err != nil {
			return fmt.Errorf("throwaway PostgreSQL: %w", err)
		}
		defer pg.stop()
		t.pgAVURL = pg.url
		log.Printf("throwaway PostgreSQL (autovacuum on) at %s", pg.url)
	}
	o.env = describe(ctx, s, t)

	needs := func(variant string) bool { return s.rounds > 0 && contains(s.cases, variant) }
	for _, st := range s.stores {
		if st == "memory" {
			continue // filled in the measuring process
		}
		for _, variant := range []string{"pending", "final"} {
			if needs(variant) {
				o.child(ctx, s, t, st, "setup "+st+" "+variant, "setup", "-variant", variant, "-background", strconv.Itoa(s.background))
			}
		}
	}
	for r := range s.rounds {
		for i := range s.stores {
			st := s.stores[(i+r)%len(s.stores)]
			for j := range s.cases {
				c := s.cases[(j+r)%len(s.cases)]
				if c == "procs4" && !multiProcess(st) {
					continue
				}
				n := s.n
				switch c {
				case "payload10k":
					n = s.n10k
				case "payload1m":
					n = s.n1m
				}
				rec := o.child(ctx, s, t, st, fmt.Sprintf("round %d %s %s", r+1, st, c), "measure",
					"-case", c, "-n", strconv.Itoa(n), "-background", strconv.Itoa(s.background), "-latency", strconv.Itoa(s.latency))
				if rec != nil {
					rec.Round = r + 1
				}
			}
		}
	}
	for _, st := range s.stores {
		o.child(ctx, s, t, st, "size "+st, "size", "-count", strconv.Itoa(s.sizeTasks))
	}
	o.elapsed = time.Since(o.started)
	// A run of some stores only keeps the others' rows of the report it
	// replaces.
	old, err := os.ReadFile(s.out)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	report := mergeReport(string(old), render(o), s.stores)
	if err := os.WriteFile(s.out, []byte(report), 0o644); err != nil { //nolint:gosec // a report for the repository
		return err
	}
	log.Printf("wrote %s (%d records, %d failures) in %v", s.out, len(o.records), len(o.failures), o.elapsed.Round(time.Second))
	return nil
}

// child runs one child process for store st and keeps its record, or the
// failure; it returns the kept record, nil on failure.
func (o *outcome) child(ctx context.Context, s settings, t target, st, what, mode string, args ...string) *record {
	if ctx.Err() != nil {
		return nil
	}
	self, err := os.Executable()
	if err != nil {
		o.failures = append(o.failures, failure{what, err.Error()})
		return nil
	}
	t.kind = st
	cctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	cmd := exec.CommandContext(cctx, self, append(append([]string{mode}, t.flags()...), args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err = cmd.Run()
	var rec record
	if err == nil {
		lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
		err = json.Unmarshal([]byte(lines[len(lines)-1]), &rec)
	}
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 600 {
			msg = "..." + msg[len(msg)-600:]
		}
		err = errors.Join(err, errors.New(msg))
		log.Printf("%s: FAILED after %v: %v", what, time.Since(start).Round(time.Millisecond), err)
		o.failures = append(o.failures, failure{what, err.Error()})
		return nil
	}
	log.Printf("%s: %v %s", what, time.Since(start).Round(time.Millisecond), summaryLine(rec))
	o.records = append(o.records, rec)
	return &o.records[len(o.records)-1]
}

func summaryLine(r record) string {
	switch r.Kind {
	case "setup":
		return fmt.Sprintf("%d tasks in %.1fs %s", r.Tasks, r.Seconds, r.Note)
	case "size":
		return fmt.Sprintf("%d tasks: %d -> %d -> %d bytes (vacuumed %d)", r.Tasks, r.SizeBefore, r.SizeCreated, r.SizePurged, r.SizeVacuumed)
	}
	return fmt.Sprintf("%.0f tasks/s, claim p50 %.3f ms, worker RSS %.1f MiB %s", r.ProcessPerS, r.ClaimP50Ms, r.WorkerRSSMiB, r.Note)
}

// multiProcess says whether separate processes can share the store:
// memory lives in one process, and bbolt locks its file to one process.
func multiProcess(store string) bool { return store != "memory" && store != "bbolt" }
