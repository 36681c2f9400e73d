package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/internal/storeurl"
)

var moveCmd = &command{
	name: "move",
	args: "SRC DST",
	summary: "Move the pending tasks of a store to another, resumably.\n" +
		"Pauses each queue on SRC for good, stores its pending tasks on DST (payload,\n" +
		"priority, run-at, attempts, unique key, last error) and cancels them on SRC.\n" +
		"--history also copies the final tasks. Workers on SRC may still run: their\n" +
		"running tasks finish there (--wait moves what they give back, and the tasks of\n" +
		"workers that are gone). Run it again to finish a move that stopped, or to move\n" +
		"tasks created on SRC since: nothing is moved twice. Progress goes to stderr.",
	ownStores: true,
	flags: func(fs *flag.FlagSet, c *call) {
		o := &moveOpts{}
		fs.StringVar(&o.queues, "queues", "", "move only these comma-separated `QUEUES` (default: every queue of SRC)")
		fs.BoolVar(&o.history, "history", false, "also copy completed, cancelled and failed tasks")
		fs.BoolVar(&o.wait, "wait", false, "keep moving until no task of a queue runs on SRC")
		fs.IntVar(&o.batch, "batch", gosk.DefaultMoveBatch, "tasks read and stored per call (at most 10000)")
		fs.StringVar(&o.origin, "origin", "", "the `NAME` DST records moved tasks under (default: SRC's address without credentials; keep it the same on every run)")
		fs.BoolVar(&c.json, "json", false, "print the report as JSON")
		c.opts = o
	},
	run: runMove,
}

type moveOpts struct {
	queues  string
	history bool
	wait    bool
	batch   int
	origin  string
}

// moveLine is one queue's line of the report.
type moveLine struct {
	Queue     string `json:"queue"`
	Moved     int64  `json:"moved"`
	Resumed   int64  `json:"resumed"`
	Lapsed    int64  `json:"lapsed"`
	Copied    int64  `json:"copied"`
	Held      int64  `json:"held"`
	Running   int64  `json:"running"`
	WasPaused bool   `json:"was_paused"`
}

func runMove(c *call) error {
	o := c.opts.(*moveOpts)
	if len(c.args) != 2 {
		return usagef("move takes two arguments, SRC and DST, got %d", len(c.args))
	}
	c.urls = c.args
	src, dst := c.args[0], c.args[1]
	srcID, err := storeurl.Identity(src)
	if err != nil {
		return usagef("SRC: %v", err)
	}
	dstID, err := storeurl.Identity(dst)
	if err != nil {
		return usagef("DST: %v", err)
	}
	switch {
	case srcID == "memory:" || dstID == "memory:":
		return usagef("memory: is a store of this process only; move needs two stores that outlive it")
	case srcID == dstID:
		return usagef("SRC and DST are the same store (%s)", srcID)
	case o.batch <= 0 || o.batch > 10_000:
		return usagef("--batch %d: want 1 to 10000", o.batch)
	}
	opts := &gosk.MoveOptions{Origin: srcID, History: o.history, Wait: o.wait, BatchSize: o.batch}
	if o.origin != "" {
		opts.Origin = o.origin
	}
	if o.queues != "" {
		opts.Queues = strings.Split(o.queues, ",")
		if err := driver.ValidateQueueNames(opts.Queues); err != nil {
			return usagef("--queues: %v", err)
		}
	}
	from, err := storeurl.Open(c.ctx, src)
	if err != nil {
		return fmt.Errorf("open SRC: %w", err)
	}
	defer func() { _ = from.Close() }()
	to, err := storeurl.Open(c.ctx, dst)
	if err != nil {
		return fmt.Errorf("open DST: %w", err)
	}
	defer func() { _ = to.Close() }()

	var last time.Time
	opts.Progress = func(r gosk.MoveReport) {
		if time.Since(last) < time.Second {
			return
		}
		last = time.Now()
		q := r.Queues[len(r.Queues)-1]
		fmt.Fprintf(c.stderr, "moving %s: %d moved, %d copied\n", q.Queue, q.Moved+q.Resumed, q.Copied)
	}
	rep, err := gosk.Move(c.ctx, from.Driver, to.Driver, opts)
	if perr := c.printMove(rep); err == nil {
		err = perr
	}
	return err
}

// printMove prints the report, one line per queue, then what is left.
func (c *call) printMove(rep gosk.MoveReport) error {
	lines := make([]moveLine, len(rep.Queues))
	for i, q := range rep.Queues {
		lines[i] = moveLine{q.Queue, q.Moved, q.Resumed, q.Lapsed, q.Copied, q.Held, q.Running, q.WasPaused}
	}
	if c.json {
		enc := json.NewEncoder(c.stdout)
		return enc.Encode(lines)
	}
	var held, running int64
	for _, l := range lines {
		fmt.Fprintf(c.stdout, "%s: moved %d (resumed %d, lapsed %d), copied %d, held %d, running on SRC %d\n",
			l.Queue, l.Moved+l.Resumed, l.Resumed, l.Lapsed, l.Copied, l.Held, l.Running)
		held += l.Held
		running += l.Running
		if l.WasPaused {
			fmt.Fprintf(c.stdout, "%s: was paused on SRC before this run; DST's pause is unchanged\n", l.Queue)
		}
	}
	if held > 0 {
		fmt.Fprintf(c.stdout, "%d tasks stay pending on SRC: a pending or running task of DST holds their unique key\n", held)
	}
	if running > 0 {
		fmt.Fprintf(c.stdout, "%d tasks still run on SRC: run move again once they finish, or with --wait\n", running)
	}
	return nil
}
