// Command service is a small service built on gosk: three queues of
// different payload types in one process, served by one worker.Group, with
// a periodic task, a queue paused and resumed, a handler that stores a
// result, and a graceful shutdown on SIGINT or SIGTERM.
//
//   - emails (Email), thumbnails (Thumbnail) and reports (Report) are served
//     by one Group with a budget of -budget handlers that the busy queues
//     share 3:1:1, e-mails first;
//   - a worker.Schedule, run by the Group beside its workers, creates a
//     report every -every; every replica of the service may run the same
//     schedule, and each slot still becomes one task;
//   - the thumbnails queue is paused before its tasks are created: the
//     store accepts them, no worker runs them, and once every e-mail is
//     sent the program resumes the queue and they run;
//   - the thumbnail handler stores a result (the thumbnail's URL and
//     size) with Task.SetResult, which the program reads back with
//     Queue.Get and Task.DecodeResult;
//   - on SIGINT or SIGTERM (or when its work is done) the program stops
//     the Group gracefully, lets running handlers finish for up to
//     -grace, then cancels them, and their tasks are released for the
//     next run; it exits 0 with no task left running.
//
// The tasks are stored in a SQLite file (in a temporary directory unless
// -dir names one), or on PostgreSQL or Redis:
//
//	go run ./examples/service                  # SQLite; stops after 3 reports and every task
//	go run ./examples/service -dir ./data      # keep the file (./data/service.db)
//	go run ./examples/service -postgres 'postgres://localhost:5432/app?sslmode=disable'
//	go run ./examples/service -redis redis://localhost:6379/0
//	go run ./examples/service -reports 0 -for 1m   # run for a minute, or until Ctrl-C
//	go run ./examples/service -reports 0           # run until Ctrl-C or SIGTERM
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/drivers/postgres"
	goskredis "github.com/gosk/gosk/drivers/redis"
	"github.com/gosk/gosk/worker"
)

// Email is a task of the emails queue.
type Email struct {
	To      string `json:"to"`
	Subject string `json:"subject"`
}

// Thumbnail is a task of the thumbnails queue.
type Thumbnail struct {
	Image string `json:"image"`
	Width int    `json:"width"`
}

// Thumb is the result a thumbnail task stores: what the run made.
type Thumb struct {
	URL   string `json:"url"`
	Bytes int    `json:"bytes"`
}

// Report is a task of the reports queue, made by the schedule: the
// report of one slot.
type Report struct {
	Slot time.Time `json:"slot"`
}

// config is the program's flags.
type config struct {
	dir      string // SQLite directory; "" for a temporary one
	postgres string // PostgreSQL URL, instead of SQLite
	schema   string // PostgreSQL schema
	redis    string // Redis URL, instead of SQLite
	prefix   string // Redis key prefix

	emails, thumbnails int           // tasks created at start
	every              time.Duration // the schedule's period
	reports            int           // stop once this many reports ran and every task is done; 0: no such stop
	runFor             time.Duration // stop after this long; 0: no limit
	work               time.Duration // how long each handler works
	budget             int           // handlers of all queues at once
	grace              time.Duration // how long Stop waits for running handlers before cancelling them

	log *slog.Logger // the Group's and the schedule's logger; nil for none
}

func main() {
	cfg, err := parse(os.Args[1:])
	if err != nil {
		os.Exit(2) // flag has said why
	}
	cfg.log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if _, err := run(ctx, os.Stdout, cfg); err != nil {
		log.Fatal(err)
	}
}

// parse reads the flags in args.
func parse(args []string) (config, error) {
	var c config
	fs := flag.NewFlagSet("service", flag.ContinueOnError)
	fs.StringVar(&c.dir, "dir", "", "directory of the SQLite file (default: a temporary one, removed at exit)")
	fs.StringVar(&c.postgres, "postgres", "", "PostgreSQL URL to run on instead of SQLite")
	fs.StringVar(&c.schema, "schema", postgres.DefaultSchema, "PostgreSQL schema of gosk's tables")
	fs.StringVar(&c.redis, "redis", "", "Redis URL to run on instead of SQLite")
	fs.StringVar(&c.prefix, "prefix", goskredis.DefaultPrefix, "Redis key prefix")
	fs.IntVar(&c.emails, "emails", 20, "e-mails to create at start")
	fs.IntVar(&c.thumbnails, "thumbnails", 10, "thumbnails to create at start, while their queue is paused")
	fs.DurationVar(&c.every, "every", 500*time.Millisecond, "the report schedule's period")
	fs.IntVar(&c.reports, "reports", 3, "stop once this many reports ran and every task is done (0: run until -for or a signal)")
	fs.DurationVar(&c.runFor, "for", 0, "stop after this long (0: no limit)")
	fs.DurationVar(&c.work, "work", 20*time.Millisecond, "how long each handler works")
	fs.IntVar(&c.budget, "budget", 4, "handlers of all queues at once")
	fs.DurationVar(&c.grace, "grace", 5*time.Second, "how long a shutdown waits for running handlers before cancelling them")
	return c, fs.Parse(args)
}

// summary is what a run did, for its test.
type summary struct {
	// created are the IDs of the e-mails and thumbnails created at start.
	emails, thumbnails []int64
	// done counts the runs that completed, by queue: e-mails and
	// thumbnails of this run only, every report.
	done map[string]int
	// ranWhilePaused counts thumbnail runs that began before the queue
	// was resumed.
	ranWhilePaused int
	// pendingAtResume is how many thumbnails the store held pending just
	// before the resume; -1 if the program did not resume the queue.
	pendingAtResume int64
	// result is the result of the first thumbnail, read back with Get;
	// zero if it did not complete.
	result Thumb
	// counts are the store's counts by queue at the end.
	counts map[string]map[gosk.State]int64
}

// run runs the service until its work is done (see config.reports),
// cfg.runFor has passed or ctx is done, then shuts it down gracefully.
func run(ctx context.Context, out io.Writer, cfg config) (*summary, error) {
	st, err := open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer st.close()
	p := &printer{w: out}
	p.printf("tasks are stored in %s", st.where)

	emails, err := gosk.NewQueue[Email](st.drv, "emails", nil)
	if err != nil {
		return nil, err
	}
	thumbnails, err := gosk.NewQueue[Thumbnail](st.drv, "thumbnails", nil)
	if err != nil {
		return nil, err
	}
	reports, err := gosk.NewQueue[Report](st.drv, "reports", nil)
	if err != nil {
		return nil, err
	}

	s := &summary{pendingAtResume: -1}
	if s.emails, err = createEmails(ctx, emails, cfg.emails); err != nil {
		return nil, err
	}
	// Paused, the queue still takes new tasks, but no worker claims them.
	if err := thumbnails.Pause(ctx); err != nil {
		return nil, fmt.Errorf("pause: %w", err)
	}
	if s.thumbnails, err = createThumbnails(ctx, thumbnails, cfg.thumbnails); err != nil {
		return nil, err
	}
	p.printf("created %d e-mails, and %d thumbnails in the paused thumbnails queue", len(s.emails), len(s.thumbnails))

	prog := newProgress(s.emails, s.thumbnails, cfg.reports)
	g, err := newGroup(emails, thumbnails, reports, cfg, p, prog)
	if err != nil {
		return nil, err
	}
	// The Group runs on a context of its own, so that the shutdown is the
	// program's to make (Stop, then StopNow), not the signal's.
	errc := make(chan error, 1)
	go func() { errc <- g.Run(context.WithoutCancel(ctx)) }()

	var limit <-chan time.Time
	if cfg.runFor > 0 {
		t := time.NewTimer(cfg.runFor)
		defer t.Stop()
		limit = t.C
	}
	emailsSent := prog.emailsSent
	for running := true; running; {
		select {
		case <-emailsSent:
			emailsSent = nil
			counts, err := thumbnails.Count(ctx)
			if err != nil {
				p.printf("count thumbnails: %v", err)
			}
			s.pendingAtResume = counts[gosk.StatePending]
			p.printf("all %d e-mails sent; %d thumbnails wait in their paused queue: resuming it", len(s.emails), s.pendingAtResume)
			prog.resumed.Store(true)
			if err := thumbnails.Resume(ctx); err != nil {
				p.printf("resume: %v", err)
			}
		case <-prog.done:
			p.printf("every task is done and %d reports ran: stopping", cfg.reports)
			running = false
		case <-limit:
			p.printf("ran for %v: stopping", cfg.runFor)
			running = false
		case <-ctx.Done():
			p.printf("signal received: stopping")
			running = false
		case err := <-errc: // a worker or the schedule failed
			if err == nil {
				err = errors.New("every member returned")
			}
			return nil, fmt.Errorf("group ended before its stop: %w", err)
		}
	}
	if err := shutdown(context.WithoutCancel(ctx), g, cfg.grace, p); err != nil {
		return nil, err
	}
	if err := <-errc; err != nil {
		return nil, fmt.Errorf("group: %w", err)
	}
	// A pause is durable: a run stopped before the resume resumes the
	// queue now rather than leave it paused for the next.
	if !prog.resumed.Load() {
		p.printf("resuming the thumbnails queue before exit")
		if err := thumbnails.Resume(context.WithoutCancel(ctx)); err != nil {
			return nil, fmt.Errorf("resume: %w", err)
		}
	}
	return s, finish(context.WithoutCancel(ctx), s, prog, emails, thumbnails, reports, p)
}

// shutdown stops g: gracefully for up to grace, then at once, cancelling
// the handlers still running (their tasks are released). ctx should not
// be the one whose end started the shutdown.
func shutdown(ctx context.Context, g *worker.Group, grace time.Duration, p *printer) error {
	soft, cancel := context.WithTimeout(ctx, grace)
	defer cancel()
	if err := g.Stop(soft); err == nil {
		return nil
	}
	p.printf("handlers still running after %v: cancelling them", grace)
	hard, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := g.StopNow(hard); err != nil {
		return fmt.Errorf("stop: handlers did not return: %w", err)
	}
	return nil
}

// finish fills in s from the store and prints it.
func finish(ctx context.Context, s *summary, prog *progress, emails *gosk.Queue[Email], thumbnails *gosk.Queue[Thumbnail], reports *gosk.Queue[Report], p *printer) error {
	s.done, s.ranWhilePaused = prog.snapshot()
	if len(s.thumbnails) > 0 {
		task, err := thumbnails.Get(ctx, s.thumbnails[0])
		if err != nil {
			return err
		}
		if err := task.DecodeResult(&s.result); err == nil {
			p.printf("result of thumbnail %d (%s): %s, %d bytes", task.ID, task.Payload.Image, s.result.URL, s.result.Bytes)
		} else if !errors.Is(err, gosk.ErrNoResult) {
			return err
		} else {
			p.printf("thumbnail %d is %s: no result yet", task.ID, task.State)
		}
	}
	s.counts = map[string]map[gosk.State]int64{}
	for name, count := range map[string]func(context.Context) (map[gosk.State]int64, error){
		"emails": emails.Count, "thumbnails": thumbnails.Count, "reports": reports.Count,
	} {
		c, err := count(ctx)
		if err != nil {
			return err
		}
		s.counts[name] = c
	}
	for _, name := range []string{"emails", "thumbnails", "reports"} {
		c := s.counts[name]
		p.printf("%-10s completed %3d  pending %3d  running %d", name, c[gosk.StateCompleted], c[gosk.StatePending], c[gosk.StateRunning])
	}
	return nil
}

// newGroup returns the Group that serves the three queues and runs the
// report schedule.
func newGroup(emails *gosk.Queue[Email], thumbnails *gosk.Queue[Thumbnail], reports *gosk.Queue[Report], cfg config, p *printer, prog *progress) (*worker.Group, error) {
	g, err := worker.NewGroup(&worker.GroupConfig{
		MaxConcurrency: cfg.budget, // all queues together
		PollInterval:   200 * time.Millisecond,
		Logger:         cfg.log,
		OnEvent:        prog.event, // one hook for every queue
	})
	if err != nil {
		return nil, err
	}
	// Each worker may run up to the whole budget when its queue is the
	// only one with work.
	wcfg := &worker.Config{Concurrency: cfg.budget, PollInterval: 200 * time.Millisecond}

	ew, err := worker.New(emails, func(ctx context.Context, t *gosk.Task[Email]) error {
		if err := work(ctx, cfg.work); err != nil {
			return err
		}
		p.printf("sent e-mail %d to %s", t.ID, t.Payload.To)
		return nil
	}, wcfg)
	if err != nil {
		return nil, err
	}
	tw, err := worker.New(thumbnails, func(ctx context.Context, t *gosk.Task[Thumbnail]) error {
		if !prog.resumed.Load() {
			prog.ranPaused.Add(1)
		}
		p.printf("making the thumbnail of %s", t.Payload.Image)
		if err := work(ctx, cfg.work); err != nil {
			return err
		}
		url := fmt.Sprintf("https://img.example.com/%d/%s", t.Payload.Width, t.Payload.Image)
		return t.SetResult(Thumb{URL: url, Bytes: 40 * t.Payload.Width}) // stored with the completed task
	}, wcfg)
	if err != nil {
		return nil, err
	}
	rw, err := worker.New(reports, func(ctx context.Context, t *gosk.Task[Report]) error {
		if err := work(ctx, cfg.work); err != nil {
			return err
		}
		p.printf("built the report of %s", t.Payload.Slot.Format("15:04:05.000"))
		return nil
	}, wcfg)
	if err != nil {
		return nil, err
	}
	// Every replica of the service may run this schedule: the store takes
	// each slot once.
	sched, err := worker.NewSchedule(reports, "digest", worker.Every(cfg.every),
		func(slot time.Time) Report { return Report{Slot: slot} },
		&worker.ScheduleConfig{Missed: worker.MissedSkip, Logger: cfg.log})
	if err != nil {
		return nil, err
	}
	for _, add := range []error{
		g.Add(ew, &worker.MemberOptions{Weight: 3}),
		g.Add(tw, nil), // weight 1
		g.Add(rw, nil),
		g.AddRunner(sched),
	} {
		if add != nil {
			return nil, add
		}
	}
	return g, nil
}

// work stands for a handler's real work: it takes d, or returns the
// cause of ctx's end.
func work(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// createEmails creates n e-mails in one call and returns their IDs.
func createEmails(ctx context.Context, q *gosk.Queue[Email], n int) ([]int64, error) {
	batch := make([]Email, n)
	for i := range batch {
		batch[i] = Email{To: fmt.Sprintf("user%d@example.com", i), Subject: "Your weekly digest"}
	}
	return ids(q.CreateMany(ctx, gosk.Items(batch, nil)))
}

// createThumbnails creates n thumbnails in one call and returns their IDs.
func createThumbnails(ctx context.Context, q *gosk.Queue[Thumbnail], n int) ([]int64, error) {
	batch := make([]Thumbnail, n)
	for i := range batch {
		batch[i] = Thumbnail{Image: fmt.Sprintf("photo-%03d.jpg", i), Width: 128}
	}
	return ids(q.CreateMany(ctx, gosk.Items(batch, nil)))
}

// ids returns the IDs of a batch that CreateMany stored whole.
func ids(res []gosk.CreateResult, err error) ([]int64, error) {
	if err != nil {
		return nil, fmt.Errorf("create: %w", err)
	}
	out := make([]int64, len(res))
	for i, r := range res {
		if r.Err != nil {
			return nil, fmt.Errorf("create: %w", r.Err)
		}
		out[i] = r.ID
	}
	return out, nil
}
