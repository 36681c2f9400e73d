package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/bench/harness"
	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/worker"
)

// queueName is the one queue every task of this program goes to: the
// background tasks and the processed ones alike.
const queueName = "scale"

// reportEvery is how often a worker process writes its count of handler
// calls to its parent.
const reportEvery = 2 * time.Millisecond

// tally adds up handler calls from several sources and closes done once
// they reach target.
type tally struct {
	total  atomic.Int64
	target int64
	once   sync.Once
	done   chan struct{}
}

func newTally(target int) *tally { return &tally{target: int64(target), done: make(chan struct{})} }

func (t *tally) add(d int64) {
	if t.total.Add(d) >= t.target {
		t.once.Do(func() { close(t.done) })
	}
}

// newWorker returns a worker of harness.Handlers handlers of a no-op
// handler that counts its calls into t.
func newWorker(drv driver.Driver, t *tally) (*worker.Worker[[]byte], error) {
	q, err := gosk.NewQueue[[]byte](drv, queueName, &gosk.QueueOptions{Codec: gosk.BytesCodec{}})
	if err != nil {
		return nil, err
	}
	return worker.New(q, func(context.Context, *gosk.Task[[]byte]) error {
		t.add(1)
		return nil
	}, &worker.Config{Concurrency: harness.Handlers})
}

// workerMain is a worker process: it opens the store, says "ready", starts
// its worker when its parent writes "go", writes "h <calls>" as its
// handlers are called, and when its standard input ends stops the worker
// and writes "rss <peak MiB>".
func workerMain(ctx context.Context, t target, variant string) error {
	drv, err := t.open(ctx, variant, false)
	if err != nil {
		return err
	}
	defer drv.Close()
	tl := newTally(1 << 62)
	w, err := newWorker(drv, tl)
	if err != nil {
		return err
	}
	out := bufio.NewWriter(os.Stdout)
	fmt.Fprintln(out, "ready")
	_ = out.Flush()
	in := bufio.NewScanner(os.Stdin)
	if !in.Scan() || in.Text() != "go" {
		return errors.New("worker: no go from the parent")
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	ran := make(chan error, 1)
	go func() { ran <- w.Run(runCtx) }()
	stopped := make(chan struct{})
	reported := make(chan struct{})
	go func() {
		defer close(reported)
		last := int64(-1)
		tick := time.NewTicker(reportEvery)
		defer tick.Stop()
		for {
			select {
			case <-stopped:
				fmt.Fprintf(out, "h %d\n", tl.total.Load())
				return
			case <-tick.C:
			}
			if v := tl.total.Load(); v != last {
				last = v
				fmt.Fprintf(out, "h %d\n", v)
				_ = out.Flush()
			}
		}
	}()
	for in.Scan() { //nolint:revive // drain until the parent closes our input
	}
	cancel()
	err = <-ran
	close(stopped)
	<-reported
	if err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("worker: %w", err)
	}
	rss, err := peakRSSMiB()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "rss %.1f\n", rss)
	return out.Flush()
}

// pool is the workers of one measurement: worker processes, or for
// memory a worker in this process.
type pool struct {
	tally *tally
	// start begins the processing; stop ends it and returns the peak RSS
	// of each worker process (none in process).
	start func()
	stop  func() ([]float64, error)
}

// inProcessPool runs one worker on drv in this process.
func inProcessPool(ctx context.Context, drv driver.Driver, n int) (*pool, error) {
	tl := newTally(n)
	w, err := newWorker(drv, tl)
	if err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(ctx)
	ran := make(chan error, 1)
	return &pool{
		tally: tl,
		start: func() { go func() { ran <- w.Run(runCtx) }() },
		stop: func() ([]float64, error) {
			cancel()
			if err := <-ran; err != nil && !errors.Is(err, context.Canceled) {
				return nil, err
			}
			return nil, nil
		},
	}, nil
}

// child is one worker process as its parent sees it.
type child struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	ready  chan struct{}
	exited chan struct{}
	rss    float64
	stderr strings.Builder
}

// processPool starts procs worker processes on the variant's store and
// returns once each has opened it.
func processPool(ctx context.Context, t target, variant string, procs, n int) (*pool, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	tl := newTally(n)
	children := make([]*child, procs)
	for i := range children {
		c := &child{ready: make(chan struct{}), exited: make(chan struct{})}
		c.cmd = exec.CommandContext(ctx, self, append([]string{"worker", "-variant", variant}, t.flags()...)...)
		c.cmd.Stderr = &c.stderr
		if c.stdin, err = c.cmd.StdinPipe(); err != nil {
			return nil, err
		}
		stdout, err := c.cmd.StdoutPipe()
		if err != nil {
			return nil, err
		}
		if err := c.cmd.Start(); err != nil {
			return nil, err
		}
		go c.read(stdout, tl)
		children[i] = c
	}
	for _, c := range children {
		select {
		case <-c.ready:
		case <-c.exited:
			_ = c.cmd.Wait()
			return nil, fmt.Errorf("worker process exited at start: %s", c.stderr.String())
		case <-time.After(2 * time.Minute):
			return nil, errors.New("worker process not ready in 2 minutes")
		}
	}
	return &pool{
		tally: tl,
		start: func() {
			for _, c := range children {
				_, _ = io.WriteString(c.stdin, "go\n")
			}
		},
		stop: func() ([]float64, error) {
			var errs []error
			rss := make([]float64, 0, procs)
			for _, c := range children {
				_ = c.stdin.Close()
			}
			for _, c := range children {
				<-c.exited
				if err := c.cmd.Wait(); err != nil {
					errs = append(errs, fmt.Errorf("worker process: %w: %s", err, c.stderr.String()))
				}
				rss = append(rss, c.rss)
			}
			return rss, errors.Join(errs...)
		},
	}, nil
}

func (c *child) read(r io.Reader, tl *tally) {
	defer close(c.exited)
	sc := bufio.NewScanner(r)
	var last int64
	readyOnce := sync.Once{}
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "ready":
			readyOnce.Do(func() { close(c.ready) })
		case strings.HasPrefix(line, "h "):
			v, err := strconv.ParseInt(line[2:], 10, 64)
			if err == nil && v > last {
				tl.add(v - last)
				last = v
			}
		case strings.HasPrefix(line, "rss "):
			c.rss, _ = strconv.ParseFloat(line[4:], 64)
		}
	}
}
