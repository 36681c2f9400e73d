// Command idleprobe measures what an idle process costs its store: it runs
// a worker.Group of idle workers (1 queue, then 20) on each store, through
// a driver wrapper that counts every call of the port and its
// capabilities, and prints the calls per second once start-up is over,
// with the group polling through driver.DueReporter and without it (the
// wrapper then hides Due, and every worker polls its own queue). For
// PostgreSQL and Redis it also counts what went over the wire (SQL
// statements through a pgx tracer, Redis commands through a go-redis
// hook), and for Redis the server's own count from INFO commandstats,
// which includes every other client of the server.
//
//	go run ./internal/idleprobe -window 10s
//
// Stores a URL is missing for are skipped, and say so. Stores without
// DueReporter get no "due" row.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/worker"
)

// config is the probe's flags.
type config struct {
	postgres, redis string
	warmup, window  time.Duration
	queues          []int
	poll            time.Duration
}

func main() {
	var cfg config
	stores := flag.String("stores", "memory,sqlite,postgres,redis", "comma-separated stores to probe")
	flag.StringVar(&cfg.postgres, "postgres", os.Getenv("GOSK_TEST_POSTGRES_URL"), "PostgreSQL URL (default $GOSK_TEST_POSTGRES_URL)")
	flag.StringVar(&cfg.redis, "redis", os.Getenv("GOSK_TEST_REDIS_URL"), "Redis URL (default $GOSK_TEST_REDIS_URL)")
	flag.DurationVar(&cfg.warmup, "warmup", 2*time.Second, "start-up time left out of the count (first claims, subscriptions, first purge)")
	flag.DurationVar(&cfg.window, "window", 10*time.Second, "how long to count")
	flag.DurationVar(&cfg.poll, "poll", worker.DefaultPollInterval, "the workers' and the group's poll interval")
	queues := flag.String("queues", "1,20", "comma-separated numbers of idle queues")
	flag.Parse()
	for _, s := range strings.Split(*queues, ",") {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "idleprobe: -queues: %q is not a positive number\n", s)
			os.Exit(2)
		}
		cfg.queues = append(cfg.queues, n)
	}

	ctx := context.Background()
	fmt.Printf("idle process, %v poll, counted over %v after %v of start-up\n", cfg.poll, cfg.window, cfg.warmup)
	fmt.Printf("%-22s %6s %-5s %10s %10s %10s  %s\n", "store", "queues", "mode", "calls/s", "wire/s", "server/s", "calls by method")
	for _, kind := range strings.Split(*stores, ",") {
		for _, n := range cfg.queues {
			for _, due := range []bool{false, true} {
				row, err := measure(ctx, kind, n, due, cfg)
				if err != nil {
					fmt.Fprintf(os.Stderr, "idleprobe: %s, %d queues, due=%v: %v\n", kind, n, due, err)
					continue
				}
				if row != "" {
					fmt.Println(row)
				}
			}
		}
	}
}

// measure runs one idle Group and returns its line of the table, or ""
// when the mode does not apply.
func measure(ctx context.Context, kind string, queues int, due bool, cfg config) (string, error) {
	label := kind
	open := kind
	s, err := openStore(ctx, open, cfg)
	if err != nil {
		return "", err
	}
	defer s.close(ctx)
	if _, ok := s.drv.(driver.DueReporter); due && !ok {
		return "", nil
	}
	calls := newCounts()
	drv, err := wrap(s.drv, calls, !due)
	if err != nil {
		return "", err
	}
	g, err := worker.NewGroup(&worker.GroupConfig{PollInterval: cfg.poll})
	if err != nil {
		return "", err
	}
	for i := range queues {
		q, err := gosk.NewQueue[int](drv, fmt.Sprintf("idle-%02d", i), nil)
		if err != nil {
			return "", err
		}
		w, err := worker.New(q, func(context.Context, *gosk.Task[int]) error { return nil }, &worker.Config{PollInterval: cfg.poll})
		if err != nil {
			return "", err
		}
		if err := g.Add(w, nil); err != nil {
			return "", err
		}
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- g.Run(runCtx) }()
	time.Sleep(cfg.warmup)

	before := calls.snapshot()
	wire0, server0 := wireCount(s), serverCount(ctx, s)
	start := time.Now()
	time.Sleep(cfg.window)
	after := calls.snapshot()
	wire1, server1 := wireCount(s), serverCount(ctx, s)
	secs := time.Since(start).Seconds()
	stop()
	if err := <-done; err != nil {
		return "", err
	}

	total := int64(0)
	var by []string
	for name, n := range after {
		d := n - before[name]
		if d == 0 {
			continue
		}
		total += d
		by = append(by, fmt.Sprintf("%s %.2f", name, float64(d)/secs))
	}
	slices.Sort(by)
	mode := "poll"
	if due {
		mode = "due"
	}
	rate := func(a, b int64) string {
		if a < 0 || b < 0 {
			return "-"
		}
		return fmt.Sprintf("%.2f", float64(b-a)/secs)
	}
	return fmt.Sprintf("%-22s %6d %-5s %10.2f %10s %10s  %s", label, queues, mode, float64(total)/secs,
		rate(wire0, wire1), rate(server0, server1), strings.Join(by, ", ")), nil
}

// openStore is open, under a bound so that a dead server does not hang
// the probe.
func openStore(ctx context.Context, kind string, cfg config) (*store, error) {
	octx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return open(octx, kind, cfg)
}

// wireCount is s's count of statements or commands sent, or -1.
func wireCount(s *store) int64 {
	if s.wire == nil {
		return -1
	}
	return s.wire.Load()
}

// serverCount is s's server-side command count, or -1.
func serverCount(ctx context.Context, s *store) int64 {
	if s.server == nil {
		return -1
	}
	n, err := s.server(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "idleprobe: server count:", err)
		return -1
	}
	return n
}

// serverCommands sums the calls of every command in Redis's INFO
// commandstats, less the INFO calls themselves.
func serverCommands(ctx context.Context, c *goredis.Client) (int64, error) {
	text, err := c.Info(ctx, "commandstats").Result()
	if err != nil {
		return 0, err
	}
	var total int64
	for _, line := range strings.Split(text, "\n") {
		name, rest, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || !strings.HasPrefix(name, "cmdstat_") || name == "cmdstat_info" {
			continue
		}
		for _, field := range strings.Split(rest, ",") {
			if v, ok := strings.CutPrefix(field, "calls="); ok {
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					return 0, fmt.Errorf("commandstats %s: %w", name, err)
				}
				total += n
			}
		}
	}
	return total, nil
}
