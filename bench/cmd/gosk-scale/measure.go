package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/bench/harness"
	"github.com/gosk/gosk/driver"
)

// farFuture is the delay of the background pending tasks: they stay
// pending, and out of every claim, for the whole run.
const farFuture = 10 * 365 * 24 * time.Hour

// batchBytes bounds the payload bytes of one CreateMany call.
const batchBytes = 4 << 20

// A case is one measurement of the report.
type scaleCase struct {
	variant string // the store's copy it runs on
	fresh   bool   // emptied first
	procs   int    // worker processes (memory: always one worker in process)
	payload int    // bytes per task
	latency bool   // time single claims before the workers start
}

// cases, by name; n of the payload cases comes from flags.
var cases = map[string]scaleCase{
	"empty":      {variant: "empty", fresh: true, procs: 1, payload: harness.PayloadLen, latency: true},
	"pending":    {variant: "pending", procs: 1, payload: harness.PayloadLen, latency: true},
	"final":      {variant: "final", procs: 1, payload: harness.PayloadLen, latency: true},
	"procs4":     {variant: "empty", fresh: true, procs: 4, payload: harness.PayloadLen},
	"payload10k": {variant: "payload", fresh: true, procs: 1, payload: 10 << 10},
	"payload1m":  {variant: "payload", fresh: true, procs: 1, payload: 1 << 20},
}

// caseOrder is the order of the cases in a round (rotated from round to
// round).
var caseOrder = []string{"empty", "pending", "final", "procs4", "payload10k", "payload1m"}

// record is the one JSON line a child process prints.
type record struct {
	Kind  string `json:"kind"` // setup, measure or size
	Store string `json:"store"`
	Case  string `json:"case,omitempty"`
	Round int    `json:"round,omitempty"`

	N            int     `json:"n,omitempty"`
	Procs        int     `json:"procs,omitempty"`
	PayloadBytes int     `json:"payload_bytes,omitempty"`
	ProcessPerS  float64 `json:"process_per_s,omitempty"`
	MBPerS       float64 `json:"mb_per_s,omitempty"`
	ClaimP50Ms   float64 `json:"claim_p50_ms,omitempty"`
	ClaimP99Ms   float64 `json:"claim_p99_ms,omitempty"`
	WorkerRSSMiB float64 `json:"worker_rss_mib,omitempty"`

	Tasks   int     `json:"tasks,omitempty"`
	Seconds float64 `json:"seconds,omitempty"`

	SizeBefore   int64 `json:"size_before,omitempty"`
	SizeCreated  int64 `json:"size_created,omitempty"`
	SizePurged   int64 `json:"size_purged,omitempty"`
	SizeVacuumed int64 `json:"size_vacuumed,omitempty"`

	Note string `json:"note,omitempty"`
}

func newQueue(drv driver.Driver) (*gosk.Queue[[]byte], error) {
	return gosk.NewQueue[[]byte](drv, queueName, &gosk.QueueOptions{Codec: gosk.BytesCodec{}})
}

func payloadOf(seq, size int) []byte {
	p := harness.Payload(seq)
	if size <= len(p) {
		return p[:size]
	}
	return append(p, make([]byte, size-len(p))...)
}

// create stores count tasks of size bytes in batches of CreateMany, delayed
// by delay, and returns their IDs.
func create(ctx context.Context, q *gosk.Queue[[]byte], count, size int, delay time.Duration) ([]int64, error) {
	per := max(1, min(harness.BatchSize, batchBytes/size))
	ids := make([]int64, 0, count)
	opts := &gosk.CreateOptions{Delay: delay}
	for i := 0; i < count; i += per {
		payloads := make([][]byte, 0, per)
		for j := i; j < min(i+per, count); j++ {
			payloads = append(payloads, payloadOf(j, size))
		}
		res, err := q.CreateMany(ctx, gosk.Items(payloads, opts))
		if err != nil {
			return nil, err
		}
		for k, r := range res {
			if r.Err != nil {
				return nil, fmt.Errorf("task %d of a batch: %w", k, r.Err)
			}
			ids = append(ids, r.ID)
		}
	}
	return ids, nil
}

// fill stores count background tasks of 100 bytes: pending ones delayed
// far into the future, or final ones, each batch created available and
// then cancelled by ID (Admin.Cancel). Cancelling by ID, rather than
// claiming and completing, keeps the setup to minutes: on PostgreSQL with
// autovacuum off each claim of a batch walks the dead index entries that
// the batches before left, and the setup slows down as it goes. The
// trace in the store is the same as completed tasks': a final row, and a
// dead version of the pending one at the front of the queue's order.
func fill(ctx context.Context, drv driver.Driver, variant string, count int) error {
	q, err := newQueue(drv)
	if err != nil {
		return err
	}
	if variant == "pending" {
		_, err := create(ctx, q, count, harness.PayloadLen, farFuture)
		return err
	}
	for i := 0; i < count; i += harness.BatchSize {
		ids, err := create(ctx, q, min(harness.BatchSize, count-i), harness.PayloadLen, 0)
		if err != nil {
			return err
		}
		if err := q.Cancel(ctx, ids...); err != nil {
			return err
		}
	}
	return nil
}

func finish(ctx context.Context, drv driver.Driver, outs []driver.Outcome) error {
	errs, err := drv.Finish(ctx, outs)
	if err != nil {
		return fmt.Errorf("finish: %w", err)
	}
	return errors.Join(errs...)
}

// setupMain fills the variant's store afresh with count background tasks
// and prints a setup record. On PostgreSQL with autovacuum on it then
// waits (two minutes at most) until autovacuum has brought the table's
// dead rows under 20,000, as a store that had time to settle.
func setupMain(ctx context.Context, t target, variant string, count int) (record, error) {
	rec := record{Kind: "setup", Store: t.kind, Case: variant, Tasks: count}
	drv, err := t.open(ctx, variant, true)
	if err != nil {
		return rec, err
	}
	defer drv.Close()
	start := time.Now()
	if err := fill(ctx, drv, variant, count); err != nil {
		return rec, err
	}
	rec.Seconds = time.Since(start).Seconds()
	if t.kind == "postgres-av" {
		time.Sleep(2 * time.Second) // PostgreSQL's statistics reach pg_stat_user_tables within a second or so
		deadline := time.Now().Add(2 * time.Minute)
		for {
			_, dead, _, err := t.deadTuples(ctx, variant)
			if err != nil {
				return rec, err
			}
			if dead < 20000 || time.Now().After(deadline) {
				break
			}
			time.Sleep(time.Second)
		}
	}
	if t.kind == "postgres" || t.kind == "postgres-av" {
		live, dead, av, err := t.deadTuples(ctx, variant)
		if err != nil {
			return rec, err
		}
		rec.Note = fmt.Sprintf("after setup: %d live rows, %d dead, %d autovacuum runs", live, dead, av)
	}
	return rec, nil
}

// measureMain runs one case: the background (memory only: the other
// stores keep theirs from setup), n tasks, single claims, then the workers.
func measureMain(ctx context.Context, t target, name string, n, background, latencyClaims int) (record, error) {
	c, ok := cases[name]
	if !ok {
		return record{}, fmt.Errorf("unknown case %q", name)
	}
	rec := record{Kind: "measure", Store: t.kind, Case: name, N: n, Procs: c.procs, PayloadBytes: c.payload}
	drv, err := t.open(ctx, c.variant, c.fresh)
	if err != nil {
		return rec, err
	}
	defer func() { _ = drv.Close() }()
	if t.kind == "memory" {
		rec.Procs = 1
		if c.variant == "pending" || c.variant == "final" {
			start := time.Now()
			if err := fill(ctx, drv, c.variant, background); err != nil {
				return rec, err
			}
			rec.Seconds = time.Since(start).Seconds()
			// The fill's garbage is collected now, as it would have been
			// long before in a process that built up its tasks over time,
			// rather than by a GC cycle over the million tasks' heap in
			// the middle of a run of a fraction of a second.
			runtime.GC()
		}
	}
	if t.kind == "postgres" || t.kind == "postgres-av" {
		live, dead, av, err := t.deadTuples(ctx, c.variant)
		if err == nil {
			rec.Note = fmt.Sprintf("at start: %d live rows, %d dead, %d autovacuum runs", live, dead, av)
		}
	}
	q, err := newQueue(drv)
	if err != nil {
		return rec, err
	}
	if !c.latency {
		latencyClaims = 0
	}
	if _, err := create(ctx, q, latencyClaims, c.payload, 0); err != nil {
		return rec, err
	}
	if _, err := create(ctx, q, n, c.payload, 0); err != nil {
		return rec, err
	}
	if latencyClaims > 0 {
		if rec.ClaimP50Ms, rec.ClaimP99Ms, err = claimLatency(ctx, drv, latencyClaims); err != nil {
			return rec, err
		}
	}
	// The worker processes open the store themselves, and bbolt lets one
	// process at a time have its file open: this process closes its
	// driver while they run and opens it again to check the counts.
	var p *pool
	if t.kind == "memory" {
		p, err = inProcessPool(ctx, drv, n)
	} else {
		if err := drv.Close(); err != nil {
			return rec, err
		}
		p, err = processPool(ctx, t, c.variant, c.procs, n)
	}
	if err != nil {
		return rec, err
	}
	start := time.Now()
	p.start()
	select {
	case <-p.tally.done:
	case <-time.After(10*time.Minute + time.Duration(n)*10*time.Millisecond):
	}
	elapsed := time.Since(start)
	rss, err := p.stop()
	if err != nil {
		return rec, err
	}
	if got := p.tally.total.Load(); got < int64(n) {
		return rec, fmt.Errorf("%d of %d tasks handled before the timeout", got, n)
	}
	rec.ProcessPerS = float64(n) / elapsed.Seconds()
	rec.MBPerS = rec.ProcessPerS * float64(c.payload) / 1e6
	if t.kind == "memory" {
		rss = []float64{0}
		rss[0], err = peakRSSMiB()
		if err != nil {
			return rec, err
		}
	}
	rec.WorkerRSSMiB = slices.Max(rss)
	if t.kind != "memory" {
		if drv, err = t.open(ctx, c.variant, false); err != nil {
			return rec, err
		}
		if q, err = newQueue(drv); err != nil {
			return rec, err
		}
	}
	return rec, check(ctx, q, c.variant, background)
}

// check reads the queue's counts once the workers have stopped: every task
// but the background's is final, and on the pending store it purges the
// final ones again, so that the next round meets the same store.
func check(ctx context.Context, q *gosk.Queue[[]byte], variant string, background int) error {
	counts, err := q.Count(ctx)
	if err != nil {
		return err
	}
	wantPending := int64(0)
	if variant == "pending" {
		wantPending = int64(background)
	}
	if counts[gosk.StatePending] != wantPending || counts[gosk.StateRunning] != 0 {
		return fmt.Errorf("after the run: %d pending and %d running, want %d and 0", counts[gosk.StatePending], counts[gosk.StateRunning], wantPending)
	}
	if variant == "pending" {
		_, err = q.Purge(ctx, 0)
	}
	return err
}

// claimLatency claims count tasks one call at a time, then completes
// them, and returns the p50 and p99 of the claim calls in milliseconds.
func claimLatency(ctx context.Context, drv driver.Driver, count int) (p50, p99 float64, err error) {
	lat := make([]float64, 0, count)
	outs := make([]driver.Outcome, 0, count)
	for range count {
		start := time.Now()
		claimed, err := drv.Claim(ctx, driver.ClaimParams{Queue: queueName, Limit: 1, Rule: gosk.Fifo, Lease: time.Hour})
		lat = append(lat, float64(time.Since(start).Nanoseconds())/1e6)
		if err != nil {
			return 0, 0, fmt.Errorf("claim: %w", err)
		}
		if len(claimed) != 1 {
			return 0, 0, fmt.Errorf("claim returned %d tasks, want 1", len(claimed))
		}
		outs = append(outs, driver.Outcome{Lease: claimed[0].Lease, Kind: driver.Complete})
	}
	if err := finish(ctx, drv, outs); err != nil {
		return 0, 0, err
	}
	slices.Sort(lat)
	return harness.Quantile(lat, 0.5), harness.Quantile(lat, 0.99), nil
}

// sizeMain measures what the store holds per task: count pending tasks of
// 100 bytes on a fresh store, then the same after cancelling and purging
// them all (and, on PostgreSQL, after a plain VACUUM).
func sizeMain(ctx context.Context, t target, count int) (record, error) {
	rec := record{Kind: "size", Store: t.kind, Tasks: count}
	drv, err := t.open(ctx, "size", true)
	if err != nil {
		return rec, err
	}
	defer drv.Close()
	q, err := newQueue(drv)
	if err != nil {
		return rec, err
	}
	if rec.SizeBefore, err = t.size(ctx, "size"); err != nil {
		return rec, err
	}
	ids, err := create(ctx, q, count, harness.PayloadLen, farFuture)
	if err != nil {
		return rec, err
	}
	if rec.SizeCreated, err = t.size(ctx, "size"); err != nil {
		return rec, err
	}
	for i := 0; i < len(ids); i += harness.BatchSize {
		if err := q.Cancel(ctx, ids[i:min(i+harness.BatchSize, len(ids))]...); err != nil {
			return rec, err
		}
	}
	if _, err := q.Purge(ctx, 0); err != nil {
		return rec, err
	}
	if rec.SizePurged, err = t.size(ctx, "size"); err != nil {
		return rec, err
	}
	if t.kind == "postgres" || t.kind == "postgres-av" {
		if err := t.vacuum(ctx, "size"); err != nil {
			return rec, err
		}
		if rec.SizeVacuumed, err = t.size(ctx, "size"); err != nil {
			return rec, err
		}
	}
	return rec, nil
}

// peakRSSMiB reads this process's VmHWM from /proc/self/status; zero where
// there is none.
func peakRSSMiB() (float64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, nil //nolint:nilerr // no /proc: report none
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024, err
		}
	}
	return 0, sc.Err()
}
