// Command soak runs the crash test at length on each durable driver: many
// tasks, four worker processes of sixteen handlers, random SIGKILLs of
// workers and producers, a mix of handler outcomes and unique keys. It
// prints one table: tasks, kills, runs, duplicate runs and why, lost and
// stuck tasks, and broken promises. `make soak` runs it; it is not part of
// `make test`, whose crash tests are its short form.
//
// PostgreSQL and Redis are found through GOSK_TEST_POSTGRES_URL and
// GOSK_TEST_REDIS_URL; a store whose variable is unset is skipped, and
// says so.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	goredis "github.com/redis/go-redis/v9"

	"github.com/gosk/gosk/internal/crashtest"
)

func main() {
	crashtest.MaybeChild() // a child process runs its role and exits here
	tasks := 100000
	if v, err := strconv.Atoi(os.Getenv("GOSK_SOAK_TASKS")); err == nil && v > 0 {
		tasks = v
	}
	var (
		stores      = flag.String("stores", "sqlite,bbolt,postgres,redis", "comma-separated stores to soak")
		n           = flag.Int("tasks", tasks, "tasks per store (default from GOSK_SOAK_TASKS, else 100000)")
		workers     = flag.Int("workers", 4, "worker processes (bbolt: one process, which also produces)")
		concurrency = flag.Int("concurrency", 16, "handlers per worker")
		producers   = flag.Int("producers", 2, "producer processes")
		batch       = flag.Int("batch", 50, "tasks per create")
		lease       = flag.Duration("lease", time.Second, "workers' lease")
		killMin     = flag.Duration("kill-min", time.Second, "shortest wait between kills")
		killMax     = flag.Duration("kill-max", 3*time.Second, "longest wait between kills")
		unique      = flag.Int("unique", 1000, "distinct unique keys (one create in four makes a keyed task)")
		until       = flag.Float64("until", 0.9, "keep killing until the workers have finished this fraction of the tasks")
		timeout     = flag.Duration("timeout", time.Hour, "bound on each store's run")
		stall       = flag.Duration("stall", 2*time.Minute, "end a store's run with goroutine dumps of its processes when none of them has recorded anything for this long (0: never)")
		verbose     = flag.Bool("v", false, "log every kill")
	)
	flag.Parse()
	mix := []string{crashtest.BehaveErr, crashtest.BehaveFail, crashtest.BehaveCancel, crashtest.BehavePanic, crashtest.BehaveSnooze, crashtest.BehaveSlow}
	for range 12 {
		mix = append(mix, crashtest.BehaveOK)
	}
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "gosk-soak-")
	if err != nil {
		fatal(err)
	}
	defer os.RemoveAll(dir)
	var reports []*crashtest.Report
	failed := false
	for _, kind := range strings.Split(*stores, ",") {
		s, cleanup, err := store(ctx, kind, dir)
		if err != nil {
			fmt.Fprintf(os.Stderr, "soak: %s skipped: %v\n", kind, err)
			continue
		}
		cfg := crashtest.Config{
			Store: s, Tasks: *n, Workers: *workers, Concurrency: *concurrency, Producers: *producers,
			BatchSize: *batch, Lease: *lease, KillMin: *killMin, KillMax: *killMax,
			Mix: mix, UniqueKeys: *unique, MaxDelay: 500 * time.Millisecond, KillUntil: *until, Timeout: *timeout, Stall: *stall,
			// Random kills may miss the producers on a fast store: a few kills
			// in a create are made first, whatever the dice say.
			MinProducerKills: 3,
		}
		if *verbose {
			cfg.Logf = func(f string, a ...any) { fmt.Fprintf(os.Stderr, kind+": "+f+"\n", a...) }
		}
		start := time.Now()
		fmt.Fprintf(os.Stderr, "soak: %s: %d tasks...\n", kind, *n)
		rep, err := crashtest.Run(ctx, cfg)
		cleanup()
		if err != nil {
			fmt.Fprintf(os.Stderr, "soak: %s: %v\n", kind, err)
			failed = true
			continue
		}
		fmt.Fprintf(os.Stderr, "soak: %s done in %v\n", kind, time.Since(start).Round(time.Second))
		for _, v := range rep.Violations {
			fmt.Fprintf(os.Stderr, "soak: %s: %s\n", kind, v)
		}
		if len(rep.Violations) > 0 || rep.Lost > 0 || rep.Stuck > 0 {
			failed = true
		}
		reports = append(reports, rep)
	}
	for i, r := range reports {
		r.Print(os.Stdout, i == 0)
	}
	fmt.Println("wkill/pkill: SIGKILLs of workers (holding tasks) and producers (in a create); runs: handler runs;")
	fmt.Println("killed: runs cut by a kill; noRun: attempts used by a claim its process did not live to run;")
	fmt.Println("dupK: runs done again because their process was killed before the outcome was stored;")
	fmt.Println("dupL: runs done again because their lease ran out in a live process; viol: broken promises.")
	if failed {
		os.Exit(1)
	}
}

// store returns the store of kind, in dir or in a fresh namespace of its
// server, and a function that removes it.
func store(ctx context.Context, kind, dir string) (crashtest.Store, func(), error) {
	suffix := make([]byte, 6)
	_, _ = rand.Read(suffix)
	ns := "gosk_soak_" + hex.EncodeToString(suffix)
	switch kind {
	case "sqlite":
		return crashtest.Store{Kind: kind, Addr: filepath.Join(dir, "soak.db")}, func() {}, nil
	case "bbolt":
		return crashtest.Store{Kind: kind, Addr: filepath.Join(dir, "soak.bolt")}, func() {}, nil
	case "postgres":
		url := os.Getenv("GOSK_TEST_POSTGRES_URL")
		if url == "" {
			return crashtest.Store{}, nil, fmt.Errorf("set GOSK_TEST_POSTGRES_URL")
		}
		return crashtest.Store{Kind: kind, Addr: url, Namespace: ns}, func() {
			conn, err := pgx.Connect(ctx, url)
			if err != nil {
				fmt.Fprintln(os.Stderr, "soak: drop schema:", err)
				return
			}
			defer conn.Close(ctx)
			if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{ns}.Sanitize()+" CASCADE"); err != nil {
				fmt.Fprintln(os.Stderr, "soak: drop schema:", err)
			}
		}, nil
	case "redis":
		url := os.Getenv("GOSK_TEST_REDIS_URL")
		if url == "" {
			return crashtest.Store{}, nil, fmt.Errorf("set GOSK_TEST_REDIS_URL")
		}
		prefix := ns + ":"
		return crashtest.Store{Kind: kind, Addr: url, Namespace: prefix}, func() {
			opt, err := goredis.ParseURL(url)
			if err != nil {
				fmt.Fprintln(os.Stderr, "soak: delete keys: the URL does not parse")
				return
			}
			c := goredis.NewClient(opt)
			defer c.Close()
			iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
			for iter.Next(ctx) {
				c.Del(ctx, iter.Val())
			}
			if err := iter.Err(); err != nil {
				fmt.Fprintln(os.Stderr, "soak: delete keys:", err)
			}
		}, nil
	}
	return crashtest.Store{}, nil, fmt.Errorf("unknown store %q", kind)
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "soak:", err)
	os.Exit(2)
}
