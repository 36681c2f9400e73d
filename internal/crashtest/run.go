package crashtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/gosk/gosk"
)

// Config sets the size of a run. Every field is required unless it says
// otherwise.
type Config struct {
	// Store is the store the processes share.
	Store Store
	// Tasks is how many tasks the producers get acknowledged in all.
	Tasks int
	// Workers is the number of worker processes alive at once; a store
	// that allows one process has one, which also produces.
	Workers int
	// Concurrency is each worker's handlers.
	Concurrency int
	// Producers is the number of producer processes alive at once.
	Producers int
	// BatchSize is the tasks per create call.
	BatchSize int
	// Lease is the workers' lease.
	Lease time.Duration
	// KillMin and KillMax bound the random wait between two kills; a
	// KillMax of 0 means no random kills, only the minimums below (made
	// at least KillMin/4 apart).
	KillMin, KillMax time.Duration
	// MinWorkerKills and MinProducerKills: producing does not end before
	// this many kills of each were made.
	MinWorkerKills, MinProducerKills int
	// Mix is the handler behaviours drawn from (Behave constants); empty
	// means BehaveOK.
	Mix []string
	// UniqueKeys, if positive, gives one create in four a single task
	// with a unique key among this many.
	UniqueKeys int
	// MaxDelay, if positive, gives one task in eight a delay below it.
	MaxDelay time.Duration
	// KillUntil, if positive, keeps the workers working and the kills
	// coming after the last task is acknowledged, until the workers have
	// finished this fraction of the acknowledged tasks. Default 0: the
	// processes are killed for good once the minimum kills are made and
	// every task is acknowledged, and this process finishes the queue.
	KillUntil float64
	// Timeout bounds the whole run.
	Timeout time.Duration
	// Stall, if positive, ends the run with an error once no process has
	// recorded anything for this long while tasks remain: every process
	// is sent SIGQUIT first, so that its goroutines are printed to
	// stderr for the post-mortem.
	Stall time.Duration
	// Logf, if set, hears progress.
	Logf func(format string, args ...any)
}

type proc struct {
	cmd      *exec.Cmd
	pid      int
	producer bool // a producer only
	worker   bool
	budget   int // tasks it was asked to produce
	done     chan struct{}
}

// Run runs processes on cfg.Store, kills them, finishes the queue in this
// process and checks the store. The error is about running; what the
// check found is in the report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	logf := cfg.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	book := newLogbook()
	rep := &Report{Store: cfg.Store.Kind}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	procs := map[int]*proc{}
	exited := make(chan *proc, 64)
	start := func(r role, producer bool) (*proc, error) {
		spec, err := json.Marshal(r)
		if err != nil {
			return nil, err
		}
		cmd := exec.Command(self)
		cmd.Env = append(os.Environ(), ChildEnv+"="+string(spec))
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			return nil, err
		}
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		p := &proc{cmd: cmd, pid: cmd.Process.Pid, producer: producer, worker: r.Work, budget: r.Produce, done: make(chan struct{})}
		procs[p.pid] = p
		go func() {
			book.read(p.pid, out)
			_ = cmd.Wait()
			close(p.done)
			select {
			case exited <- p:
			case <-ctx.Done():
			}
		}()
		return p, nil
	}
	base := role{Store: cfg.Store, Concurrency: cfg.Concurrency, Lease: cfg.Lease, BatchSize: cfg.BatchSize,
		Mix: cfg.Mix, UniqueKeys: cfg.UniqueKeys, MaxDelay: cfg.MaxDelay}
	one := cfg.Store.OneProcess()
	// assigned counts the tasks asked of live producers plus those acked
	// by dead ones.
	assigned := 0
	chunk := max(cfg.BatchSize*4, cfg.Tasks/max(cfg.Producers, 1)/4)
	startProducer := func() error {
		n := cfg.Tasks - assigned
		if !one {
			n = min(chunk, n)
		}
		if n <= 0 {
			return nil
		}
		r := base
		r.Produce = n
		r.Work = one
		assigned += n
		_, err := start(r, !one)
		return err
	}
	startWorker := func() error {
		r := base
		r.Work = true
		_, err := start(r, false)
		return err
	}
	if one {
		if err := startProducer(); err != nil {
			return nil, err
		}
	} else {
		for range cfg.Workers {
			if err := startWorker(); err != nil {
				return nil, err
			}
		}
		for range cfg.Producers {
			if err := startProducer(); err != nil {
				return nil, err
			}
		}
	}
	killed := map[int]bool{}
	kill := func(p *proc) {
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.done
		killed[p.pid] = true
	}
	defer func() {
		for _, p := range procs {
			select {
			case <-p.done:
			default:
				kill(p)
			}
		}
	}()
	// replace starts what a process that ended leaves undone.
	replace := func(p *proc) error {
		delete(procs, p.pid)
		if p.budget > 0 {
			assigned -= p.budget - book.state(p.pid).acked
		}
		if !killed[p.pid] && p.cmd.ProcessState != nil && !p.cmd.ProcessState.Success() {
			return fmt.Errorf("process %d ended: %v", p.pid, p.cmd.ProcessState)
		}
		switch {
		case one:
			if cfg.Tasks-assigned > 0 {
				return startProducer()
			}
			r := base
			r.Work = true
			_, err := start(r, false)
			return err
		case p.producer:
			return startProducer()
		default:
			return startWorker()
		}
	}
	var lastKill time.Time
	nextKill := time.NewTimer(cfg.KillMin)
	defer nextKill.Stop()
	if cfg.KillMax == 0 {
		nextKill.Stop()
	}
	stall := time.NewTimer(cfg.Stall)
	defer stall.Stop()
	if cfg.Stall <= 0 {
		stall.Stop()
	}
	for book.acked() < cfg.Tasks || rep.WorkerKills < cfg.MinWorkerKills || rep.ProducerKills < cfg.MinProducerKills ||
		float64(book.finished()) < cfg.KillUntil*float64(book.acked()) {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("producing: %w (acked %d of %d, kills %d+%d)", ctx.Err(), book.acked(), cfg.Tasks, rep.WorkerKills, rep.ProducerKills)
		case p := <-exited:
			if _, live := procs[p.pid]; !live {
				continue
			}
			if err := replace(p); err != nil {
				return nil, err
			}
		case <-stall.C:
			for _, p := range procs {
				_ = p.cmd.Process.Signal(syscall.SIGQUIT)
			}
			for _, p := range procs {
				<-p.done
			}
			return nil, fmt.Errorf("stalled: no process recorded anything for %v (acked %d of %d, finished %d); their goroutines are printed above",
				cfg.Stall, book.acked(), cfg.Tasks, book.finished())
		case <-book.changed:
			if cfg.Stall > 0 {
				stall.Reset(cfg.Stall)
			}
			// Until enough producers were killed, one is killed as soon
			// as it starts a create.
			if rep.ProducerKills >= cfg.MinProducerKills {
				// Then until enough workers were killed, one is killed
				// as soon as it runs handlers, a little after the last
				// kill so that its replacement gets going.
				if rep.WorkerKills >= cfg.MinWorkerKills || time.Since(lastKill) < cfg.KillMin/4 {
					continue
				}
				for _, p := range procs {
					if p.worker && book.state(p.pid).open > 0 {
						rep.WorkerKills++
						if p.budget > 0 && book.state(p.pid).trying {
							rep.ProducerKills++
						}
						kill(p)
						lastKill = time.Now()
						logf("killed worker %d in a run; acked %d", p.pid, book.acked())
						if err := replace(p); err != nil {
							return nil, err
						}
						break
					}
				}
				continue
			}
			for _, p := range procs {
				if p.budget > 0 && book.state(p.pid).trying {
					rep.ProducerKills++
					if book.state(p.pid).open > 0 {
						rep.WorkerKills++
					}
					kill(p)
					lastKill = time.Now()
					logf("killed producer %d in a create; acked %d", p.pid, book.acked())
					if err := replace(p); err != nil {
						return nil, err
					}
					break
				}
			}
		case <-nextKill.C:
			// A worker is killed while it runs handlers, a producer while
			// a create is under way; a one-process store's process for
			// either reason.
			var victims []*proc
			wantProducer := rep.ProducerKills < cfg.MinProducerKills
			producers := 0
			for _, p := range procs {
				s := book.state(p.pid)
				stillProducing := p.budget > 0 && s.acked < p.budget
				if stillProducing {
					producers++
				}
				producing := p.budget > 0 && s.trying && (wantProducer || cfg.MinProducerKills == 0)
				// A process still producing is kept for a kill in a
				// create while producers are wanted.
				holds := p.worker && s.open > 0 && (!wantProducer || !stillProducing)
				if producing || holds {
					victims = append(victims, p)
				}
			}
			if producers == 0 && book.acked() >= cfg.Tasks && rep.WorkerKills >= cfg.MinWorkerKills &&
				float64(book.finished()) >= cfg.KillUntil*float64(book.acked()) {
				goto produced // no producer is left to kill
			}
			if len(victims) == 0 {
				nextKill.Reset(5 * time.Millisecond)
				continue
			}
			p := victims[rand.N(len(victims))]
			s := book.state(p.pid)
			if p.worker && s.open > 0 {
				rep.WorkerKills++
			}
			if p.budget > 0 && s.trying {
				rep.ProducerKills++
			}
			kill(p)
			lastKill = time.Now()
			logf("killed %d (worker %v, producer %v) acked %d", p.pid, p.worker, p.budget > 0, book.acked())
			if err := replace(p); err != nil {
				return nil, err
			}
			nextKill.Reset(cfg.KillMin + rand.N(cfg.KillMax-cfg.KillMin+1))
		}
	}
produced:
	// Every task is acknowledged: end the processes with one last kill
	// each, and finish the queue here.
	for _, p := range procs {
		kill(p)
		if book.state(p.pid).open > 0 {
			rep.WorkerKills++
		}
	}
	procs = nil
	logf("producing done: acked %d; draining", book.acked())
	if err := drain(ctx, cfg, book); err != nil {
		return nil, err
	}
	d, err := cfg.Store.Open(ctx)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	if err := rep.check(ctx, d, cfg, book, killed); err != nil {
		return nil, err
	}
	return rep, nil
}

// drain runs a worker in this process until no task is pending or
// running.
func drain(ctx context.Context, cfg Config, book *logbook) error {
	d, err := cfg.Store.Open(ctx)
	if err != nil {
		return err
	}
	defer d.Close()
	q, err := gosk.NewQueue[Job](d, Queue, &gosk.QueueOptions{MaxAttempts: 3})
	if err != nil {
		return err
	}
	w, err := newWorker(q, max(cfg.Concurrency, 4), cfg.Lease, book.writer(os.Getpid()))
	if err != nil {
		return err
	}
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- w.Run(wctx) }()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		n, err := q.Count(ctx)
		if err == nil && n[gosk.StatePending]+n[gosk.StateRunning] == 0 {
			stop()
			return <-errc
		}
		select {
		case <-ctx.Done():
			stop()
			werr := <-errc
			return fmt.Errorf("draining: %w (left: %v, last count error: %w, worker: %w)", ctx.Err(), n, err, werr)
		case err := <-errc:
			return errors.Join(errors.New("the draining worker stopped"), err)
		case <-tick.C:
		}
	}
}
