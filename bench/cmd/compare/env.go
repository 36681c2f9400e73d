package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	goredis "github.com/redis/go-redis/v9"

	"github.com/gosk/gosk/bench/harness"
)

// environment is what the report says about the machine and the servers.
type environment struct {
	CPUs      int
	CPUModel  string
	MemTotal  string
	Kernel    string
	GoVersion string
	LoadAvg   string
	Postgres  string
	Redis     string
}

// describe reads the machine's and the servers' settings; a setting it
// cannot read is reported as such, not guessed.
func describe(ctx context.Context, pgURL, redisURL string) environment {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if pgURL == "" {
		pgURL = harness.DefaultPostgresURL
	}
	if redisURL == "" {
		redisURL = harness.DefaultRedisURL
	}
	return environment{
		CPUs:      runtime.NumCPU(),
		CPUModel:  procField("/proc/cpuinfo", "model name", ":"),
		MemTotal:  memTotal(),
		Kernel:    strings.TrimSpace(readFile("/proc/sys/kernel/osrelease")),
		GoVersion: runtime.Version(),
		LoadAvg:   loadAvg(),
		Postgres:  describePostgres(ctx, pgURL),
		Redis:     describeRedis(ctx, redisURL),
	}
}

func describePostgres(ctx context.Context, url string) string {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return "unreadable: " + err.Error()
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var parts []string
	for _, name := range []string{"server_version", "fsync", "synchronous_commit", "full_page_writes", "autovacuum", "shared_buffers"} {
		var v string
		if err := conn.QueryRow(ctx, "SHOW "+name).Scan(&v); err != nil {
			v = "?"
		}
		parts = append(parts, name+" "+v)
	}
	return strings.Join(parts, ", ")
}

func describeRedis(ctx context.Context, url string) string {
	opts, err := goredis.ParseURL(url)
	if err != nil {
		return "unreadable: " + err.Error()
	}
	c := goredis.NewClient(opts)
	defer c.Close()
	var parts []string
	if info, err := c.Info(ctx, "server").Result(); err == nil {
		parts = append(parts, "version "+infoField(info, "redis_version"))
	}
	for _, name := range []string{"save", "appendonly"} {
		v, err := c.ConfigGet(ctx, name).Result()
		if err != nil {
			parts = append(parts, name+" ?")
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %q", name, v[name]))
	}
	return strings.Join(parts, ", ")
}

func infoField(info, name string) string {
	for line := range strings.SplitSeq(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), name+":"); ok {
			return v
		}
	}
	return "?"
}

func readFile(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return string(b)
}

// procField returns the value of the first line of a /proc file that
// starts with name, after sep.
func procField(path, name, sep string) string {
	f, err := os.Open(path)
	if err != nil {
		return "?"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), sep); ok && strings.TrimSpace(k) == name {
			return strings.TrimSpace(v)
		}
	}
	return "?"
}

func memTotal() string {
	v := procField("/proc/meminfo", "MemTotal", ":")
	kb, err := strconv.ParseFloat(strings.TrimSuffix(v, " kB"), 64)
	if err != nil {
		return v
	}
	return fmt.Sprintf("%.1f GiB", kb/1024/1024)
}

// loadAvg is the 1, 5 and 15 minute load averages, as /proc/loadavg has them.
func loadAvg() string {
	f := strings.Fields(readFile("/proc/loadavg"))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
