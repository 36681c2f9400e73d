// Command compare builds every program of the comparison, runs them
// interleaved several times, and writes the medians and gosk/peer ratios
// into a markdown file (BENCHMARKS.md at the repository's root, by
// default). Run it from the bench directory, with PostgreSQL and Redis up:
//
//	go run ./cmd/compare -r 3 -n 20000 -out ../BENCHMARKS.md
//
// Each round runs every program once, each round starting one program
// further along the list, so that a slow spell of a shared machine falls
// on different programs in different rounds.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gosk/gosk/bench/harness"
)

// programs are the comparison's programs, one directory under cmd/ each,
// gosk's first.
var programs = []string{
	"gosk-postgres", "gosk-sqlite", "gosk-redis", "gosk-memory", "gosk-bbolt",
	"river-postgres", "river-sqlite", "asynq-redis", "goqite-sqlite", "neoq-memory", "neoq-postgres",
}

// run is one program's run in one round: its result, or why there is none.
type run struct {
	Program string
	Round   int
	Result  *harness.Result
	Err     string
}

func main() {
	rounds := flag.Int("r", 3, "rounds: how many times each program runs")
	n := flag.Int("n", 20000, "tasks per phase (passed to each program)")
	out := flag.String("out", "../BENCHMARKS.md", "markdown file to write")
	only := flag.String("programs", "", "comma-separated subset of the programs (default: all)")
	label := flag.String("label", "", "a line printed at the top of the report, e.g. to say it is a smoke run")
	timeout := flag.Duration("timeout", 20*time.Minute, "longest a single program run may take")
	pg := flag.String("postgres", os.Getenv("GOSK_BENCH_POSTGRES_URL"), "PostgreSQL URL passed to the programs (default: theirs)")
	redis := flag.String("redis", os.Getenv("GOSK_BENCH_REDIS_URL"), "Redis URL passed to the programs (default: theirs)")
	flag.Parse()
	if *rounds < 1 {
		log.Fatalf("compare: -r is %d: it must be at least 1", *rounds)
	}
	list := programs
	if *only != "" {
		list = strings.Split(*only, ",")
		for _, p := range list {
			if !known(p) {
				log.Fatalf("compare: -programs names %q, which is not one of %s", p, strings.Join(programs, ", "))
			}
		}
	}

	bin, err := os.MkdirTemp("", "gosk-compare-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(bin)
	for _, p := range list {
		fmt.Fprintf(os.Stderr, "compare: building %s\n", p)
		build := exec.Command("go", "build", "-o", filepath.Join(bin, p), "./cmd/"+p)
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			log.Fatalf("compare: build %s: %v", p, err)
		}
	}

	args := []string{"-n", strconv.Itoa(*n)}
	if *pg != "" {
		args = append(args, "-postgres", *pg)
	}
	if *redis != "" {
		args = append(args, "-redis", *redis)
	}
	var runs []run
	for r := range *rounds {
		for i := range list {
			p := list[(i+r)%len(list)]
			fmt.Fprintf(os.Stderr, "compare: round %d of %d: %s\n", r+1, *rounds, p)
			res, err := runOne(filepath.Join(bin, p), args, *timeout)
			ru := run{Program: p, Round: r + 1, Result: res}
			if err != nil {
				ru.Err = err.Error()
				fmt.Fprintf(os.Stderr, "compare: %s failed: %v\n", p, err)
			} else {
				line, _ := json.Marshal(res)
				fmt.Fprintf(os.Stderr, "%s\n", line)
			}
			runs = append(runs, ru)
		}
	}

	env := describe(context.Background(), *pg, *redis)
	report := render(reportInput{
		Label: *label, Rounds: *rounds, N: *n, Programs: list, Runs: runs, Env: env, Date: time.Now().UTC(),
	})
	if err := os.WriteFile(*out, []byte(report), 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "compare: wrote %s\n", *out)
}

func known(p string) bool {
	for _, q := range programs {
		if p == q {
			return true
		}
	}
	return false
}

// runOne runs one program and parses the JSON line it prints last.
func runOne(path string, args []string, timeout time.Duration) (*harness.Result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	var stdout bytes.Buffer
	var stderr tail
	cmd.Stdout = &stdout
	cmd.Stderr = io.MultiWriter(os.Stderr, &stderr)
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("no result within %s", timeout)
		}
		return nil, fmt.Errorf("%w: %s", err, strings.TrimSpace(stderr.String()))
	}
	var last string
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "{") {
			last = sc.Text()
		}
	}
	if last == "" {
		return nil, errors.New("printed no JSON line")
	}
	var res harness.Result
	if err := json.Unmarshal([]byte(last), &res); err != nil {
		return nil, fmt.Errorf("its JSON line: %w", err)
	}
	return &res, nil
}

// tail keeps the last 2 KiB written to it, for an error message.
type tail struct{ b []byte }

func (t *tail) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > 2048 {
		t.b = t.b[len(t.b)-2048:]
	}
	return len(p), nil
}

func (t *tail) String() string { return string(t.b) }
