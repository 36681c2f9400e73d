// Command gosk-scale measures how gosk's cost grows with the work a store
// holds, gosk against itself on each driver, and writes the report
// BENCHMARKS-scale.md (make bench-scale). Every figure is a ratio to the
// empty store in the same round; the report gives the medians over the
// rounds, each round running every store and case once, in an order
// rotated from round to round.
//
// The cases: n tasks of 100 bytes processed by one worker process of 16
// handlers with 1,000,000 pending tasks in the same queue (delayed ten
// years, so that they stay), with 1,000,000 final (cancelled) tasks not
// purged, and on an empty store; four worker processes of 16 handlers
// against one; payloads of 10 KB and 1 MB against 100 bytes; p50 of
// single claims; the worker process's peak RSS. Once per store, the bytes
// each pending task takes and whether the store shrinks after a purge.
//
// PostgreSQL runs twice: on the shared server of .ci/services (autovacuum
// off there) and on a throwaway server with autovacuum on that this
// program initdbs and starts on a free loopback port. Redis runs on a
// throwaway redis-server without persistence, so that its memory is
// measured alone. The memory driver lives in one process: its worker runs
// in the measuring process, and it has no four-process case.
//
// The program runs its own pieces as child processes: "setup" fills a
// store's pending or final copy once, "measure" runs one case and starts
// "worker" processes, "size" measures bytes per task. With
// GOSK_SCALE_CPUPROFILE set to a directory, every worker and measuring
// process writes its CPU profile there.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/gosk/gosk/bench/harness"
)

// settings are the orchestrator's flags, passed on to the children.
type settings struct {
	rounds, n, background, sizeTasks, n10k, n1m, latency int
	stores, cases                                        []string
	out, label                                           string
	timeout                                              time.Duration
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("gosk-scale: ")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(os.Args) > 1 && !strings.HasPrefix(os.Args[1], "-") {
		if err := childMain(ctx, os.Args[1], os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "gosk-scale", os.Args[1]+":", err)
			os.Exit(1)
		}
		return
	}
	if err := orchestrate(ctx); err != nil {
		log.Print(err)
		stop()
		os.Exit(1) //nolint:gocritic // stop was called
	}
}

// targetFlags registers the flags that say where the stores live.
func targetFlags(fs *flag.FlagSet, t *target) {
	fs.StringVar(&t.kind, "store", "", "store: "+strings.Join(allStores, ", "))
	fs.StringVar(&t.pgURL, "postgres", envOr("GOSK_BENCH_POSTGRES_URL", harness.DefaultPostgresURL), "the shared PostgreSQL server (its databases bench_scale_* are dropped and made)")
	fs.StringVar(&t.pgAVURL, "postgres-av", "", "the throwaway PostgreSQL server with autovacuum on (children only)")
	fs.StringVar(&t.redisURL, "redis", "", "the throwaway Redis server (children only)")
	fs.StringVar(&t.dir, "dir", "", "directory of the SQLite and bbolt files (default: a temporary one)")
}

func (t target) flags() []string {
	return []string{"-store", t.kind, "-postgres", t.pgURL, "-postgres-av", t.pgAVURL, "-redis", t.redisURL, "-dir", t.dir}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// childMain runs one piece in a child process and prints its record.
func childMain(ctx context.Context, mode string, args []string) error {
	fs := flag.NewFlagSet(mode, flag.ContinueOnError)
	var t target
	targetFlags(fs, &t)
	variant := fs.String("variant", "", "the store's copy (worker, setup)")
	name := fs.String("case", "", "the case (measure)")
	n := fs.Int("n", 0, "tasks to process (measure)")
	background := fs.Int("background", 0, "background tasks (setup; measure on memory)")
	latency := fs.Int("latency", 0, "single claims to time (measure)")
	count := fs.Int("count", 0, "tasks (size)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if dir := os.Getenv("GOSK_SCALE_CPUPROFILE"); dir != "" && (mode == "worker" || mode == "measure") {
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("%s-%s-%s%s-%d.pprof", mode, t.kind, *name, *variant, os.Getpid())))
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	var rec record
	var err error
	switch mode {
	case "worker":
		return workerMain(ctx, t, *variant)
	case "setup":
		rec, err = setupMain(ctx, t, *variant, *background)
	case "measure":
		rec, err = measureMain(ctx, t, *name, *n, *background, *latency)
	case "size":
		rec, err = sizeMain(ctx, t, *count)
	default:
		return fmt.Errorf("unknown mode %q (want worker, setup, measure or size; or no mode to run everything)", mode)
	}
	if err != nil {
		return err
	}
	line, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	fmt.Println(string(line))
	return nil
}

func orchestrate(ctx context.Context) error {
	var s settings
	var t target
	targetFlags(flag.CommandLine, &t)
	flag.IntVar(&s.rounds, "r", 3, "rounds: each case runs once per round per store (0: only the bytes-per-task measurement)")
	flag.IntVar(&s.n, "n", 20000, "tasks processed per case (100-byte payloads)")
	flag.IntVar(&s.background, "background", 1000000, "pending tasks of the pending store, final tasks of the final store")
	flag.IntVar(&s.sizeTasks, "size-tasks", 100000, "pending tasks stored to measure bytes per task")
	flag.IntVar(&s.n10k, "n10k", 5000, "tasks processed with 10 KB payloads")
	flag.IntVar(&s.n1m, "n1m", 200, "tasks processed with 1 MB payloads")
	flag.IntVar(&s.latency, "latency", 200, "single claims timed before the workers start")
	stores := flag.String("stores", strings.Join(allStores, ","), "comma-separated stores to run")
	casesFlag := flag.String("cases", strings.Join(caseOrder, ","), "comma-separated cases to run (empty is always run: it is the baseline)")
	flag.StringVar(&s.out, "out", "../BENCHMARKS-scale.md", "markdown file to write")
	flag.StringVar(&s.label, "label", "", "a line printed at the top of the report")
	flag.DurationVar(&s.timeout, "timeout", 15*time.Minute, "longest one child process may take")
	quick := flag.Bool("quick", false, "a smoke run: -r 1 -n 2000 -background 100000 -size-tasks 20000 -n10k 1000 -n1m 50, unless those flags are given")
	flag.Parse()
	if *quick {
		set := map[string]bool{}
		flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
		for name, v := range map[string]int{"r": 1, "n": 2000, "background": 100000, "size-tasks": 20000, "n10k": 1000, "n1m": 50} {
			if !set[name] {
				_ = flag.Set(name, fmt.Sprint(v))
			}
		}
	}
	if s.rounds < 0 || s.n < 1000 || s.background < 1000 || s.sizeTasks < 1000 || s.n10k < 1 || s.n1m < 1 || s.latency < 0 {
		return fmt.Errorf("-r must be at least 0, -n, -background and -size-tasks at least 1,000, -n10k and -n1m at least 1")
	}
	s.stores = strings.Split(*stores, ",")
	for _, st := range s.stores {
		if !contains(allStores, st) {
			return fmt.Errorf("-stores names %q, not one of %s", st, strings.Join(allStores, ", "))
		}
	}
	s.cases = []string{"empty"}
	for _, c := range strings.Split(*casesFlag, ",") {
		if !contains(caseOrder, c) {
			return fmt.Errorf("-cases names %q, not one of %s", c, strings.Join(caseOrder, ", "))
		}
		if c != "empty" {
			s.cases = append(s.cases, c)
		}
	}
	return run(ctx, s, t)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
