package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/driver"
)

// Runner is anything a Group can run beside its workers, such as a
// periodic schedule: Run works until ctx is done and then returns. The
// Group stops a Runner by ending ctx, for Stop and StopNow alike; an
// error that only reports that ctx ended (context.Canceled or
// context.DeadlineExceeded, once ctx is done) counts as a clean stop.
type Runner interface {
	Run(ctx context.Context) error
}

// Member is a worker that a Group runs with its shared settings: a
// *Worker[T] of any payload type T. Its methods other than Run are
// unexported, so no other type is a Member; add other things to a Group
// as a Runner.
type Member interface {
	Runner
	// groupMember returns what a Group needs to run the worker; false
	// for a nil worker.
	groupMember() (memberInfo, bool)
}

// memberInfo is what a Group knows of a worker it runs.
type memberInfo struct {
	id    any // the *Worker, to refuse it twice
	queue string
	drv   driver.Driver
	run   func(ctx context.Context, l *link) error
}

// groupMember makes *Worker[T] a Member.
func (w *Worker[T]) groupMember() (memberInfo, bool) {
	if w == nil {
		return memberInfo{}, false
	}
	return memberInfo{id: w, queue: w.q.Name(), drv: w.q.Driver(), run: w.run}, true
}

// link is what a worker run by a Group gets from it.
type link struct {
	// share is the worker's account with the shared budget; nil without
	// GroupConfig.MaxConcurrency.
	share *share
	// wake is signalled by the Group's poll when the worker's queue has a
	// task due; nil when the driver has no driver.DueReporter, and the
	// worker then polls on its own.
	wake chan struct{}
	// idle is set by the worker while it waits with nothing to claim, so
	// that the Group's poll asks about its queue.
	idle atomic.Bool
	// log is the Group's logger, nil if it has none: it replaces the
	// worker's if the worker's Config has no Logger.
	log *slog.Logger
	// onEvent is the Group's event hook, or nil.
	onEvent func(Event)
	// hard is closed by the Group's StopNow.
	hard <-chan struct{}
}

// GroupConfig configures a Group. Every field's zero value means its
// default. NewGroup refuses invalid settings with an error that wraps
// gosk.ErrInvalid and names the field.
type GroupConfig struct {
	// MaxConcurrency, if positive, is the most handlers the Group's
	// workers run at once, all their queues together: a budget they share
	// in proportion to their weights (see MemberOptions.Weight). Each
	// worker still runs at most its own Config.Concurrency. Default 0: no
	// shared budget, each worker runs up to its own Concurrency.
	MaxConcurrency int

	// PollInterval is how often the Group asks a driver that implements
	// driver.DueReporter, in one call, which of its idle workers' queues
	// have a task to claim, give or take 20% of jitter; it wakes only
	// those workers. Workers on a driver without it poll their own queue
	// every Config.PollInterval, as they do outside a Group. Default 1s.
	PollInterval time.Duration

	// Logger receives the Group's logs and those of its workers whose
	// Config has no Logger. Default: none.
	Logger *slog.Logger

	// OnEvent, if set, is told of every task run of every worker in the
	// Group, after the worker's own Config.OnEvent. The Group calls it
	// from one worker at a time, never concurrently with itself, on the
	// workers' paths that store outcomes: it must return quickly and must
	// not panic.
	OnEvent func(Event)
}

// MemberOptions configures a worker in a Group. nil means the defaults.
type MemberOptions struct {
	// Weight is the worker's share of GroupConfig.MaxConcurrency against
	// the other workers that have tasks to run: with weights 3 and 1 and
	// a budget of 8, two busy queues run 6 and 2 handlers. A worker alone
	// with tasks may use the whole budget, and one that runs no handler
	// is served first as slots come free, so no weight starves. Without
	// MaxConcurrency it has no effect. Default 1.
	Weight int
}

// Group runs several workers, of any payload types, and Runners with one
// Run, one shutdown, one logger and one event hook, and optionally one
// budget of handlers that its queues share by weight (see GroupConfig).
// Build one with NewGroup, add to it with Add and AddRunner, then call
// Run. See Groups in the package doc.
type Group struct {
	cfg     GroupConfig
	log     *slog.Logger
	onEvent func(Event)

	mu      sync.Mutex
	started bool
	entries []groupEntry
	budget  *budget // the shared budget of the Run in progress, if any

	life lifecycle
}

// groupEntry is one worker or Runner of a Group.
type groupEntry struct {
	member *memberInfo // nil for a Runner
	runner Runner
	weight int
}

// errGroupBusy is returned by Run on a Group that is already running.
var errGroupBusy = errors.New("worker: Group is already running: Run may not overlap")

// NewGroup returns an empty Group configured by cfg (nil for defaults),
// or an error wrapping gosk.ErrInvalid that names the invalid field.
// NewGroup starts nothing.
func NewGroup(cfg *GroupConfig) (*Group, error) {
	var c GroupConfig
	if cfg != nil {
		c = *cfg
	}
	if c.MaxConcurrency < 0 {
		return nil, fmt.Errorf("%w: worker: GroupConfig.MaxConcurrency %d is negative; 0 means no shared budget", gosk.ErrInvalid, c.MaxConcurrency)
	}
	if c.PollInterval < 0 {
		return nil, fmt.Errorf("%w: worker: GroupConfig.PollInterval %v is negative", gosk.ErrInvalid, c.PollInterval)
	}
	if c.PollInterval == 0 {
		c.PollInterval = DefaultPollInterval
	}
	g := &Group{cfg: c, log: c.Logger}
	if g.log == nil {
		g.log = slog.New(slog.DiscardHandler)
	}
	if hook := c.OnEvent; hook != nil {
		var mu sync.Mutex
		g.onEvent = func(ev Event) {
			mu.Lock()
			defer mu.Unlock()
			hook(ev)
		}
	}
	return g, nil
}

// Add adds a worker to the Group, configured by opts (nil for defaults).
// It refuses a nil worker, a worker added before and a negative
// MemberOptions.Weight with an error wrapping gosk.ErrInvalid, and
// refuses any Add once Run has been called. The worker keeps its own
// Config; the Group adds its logger, event hook, shared budget and poll.
// While the Group runs it, the worker's own Stop, StopNow and Stopped act
// on that run, and it may not be Run on its own.
func (g *Group) Add(m Member, opts *MemberOptions) error {
	var info memberInfo
	ok := m != nil
	if ok {
		info, ok = m.groupMember()
	}
	if !ok {
		return fmt.Errorf("%w: worker: Group.Add: worker is nil", gosk.ErrInvalid)
	}
	weight := 1
	if opts != nil && opts.Weight != 0 {
		weight = opts.Weight
	}
	if weight < 0 {
		return fmt.Errorf("%w: worker: Group.Add: MemberOptions.Weight %d of queue %q is negative", gosk.ErrInvalid, weight, info.queue)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.started {
		return errors.New("worker: Group.Add after Run: add every worker and Runner before the Group runs")
	}
	for _, en := range g.entries {
		if en.member != nil && en.member.id == info.id {
			return fmt.Errorf("%w: worker: Group.Add: the worker of queue %q is in the Group already", gosk.ErrInvalid, info.queue)
		}
	}
	g.entries = append(g.entries, groupEntry{member: &info, weight: weight})
	return nil
}

// AddRunner adds r, run by Run beside the workers (see Runner). It
// refuses a nil r with an error wrapping gosk.ErrInvalid, and any
// AddRunner once Run has been called.
func (g *Group) AddRunner(r Runner) error {
	if r == nil {
		return fmt.Errorf("%w: worker: Group.AddRunner: runner is nil", gosk.ErrInvalid)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.started {
		return errors.New("worker: Group.AddRunner after Run: add every worker and Runner before the Group runs")
	}
	g.entries = append(g.entries, groupEntry{runner: r})
	return nil
}

// errMemberFailed is the cause of the context of a Group's members once
// one of them has returned an error.
var errMemberFailed = errors.New("worker: another member of the Group failed")

// Run runs every worker and Runner of the Group, each on its own
// goroutine, until ctx is done or Stop or StopNow is called; then each
// shuts down as it does alone, and Run returns once all have returned.
// If one of them returns an error first (a worker whose driver is
// closed, a Runner that fails), the others are stopped gracefully, as
// by Stop, and Run returns the errors of all that failed, joined, the
// first first, each naming its queue or Runner. Run refuses an empty
// Group, and a Run while another is in progress; once it has returned,
// the Group may Run again.
func (g *Group) Run(ctx context.Context) error {
	g.mu.Lock()
	entries := append([]groupEntry(nil), g.entries...)
	g.started = len(entries) > 0
	g.mu.Unlock()
	if len(entries) == 0 {
		return fmt.Errorf("%w: worker: Group.Run: the Group has no worker and no Runner", gosk.ErrInvalid)
	}
	c, ctx, err := g.life.begin(ctx, errGroupBusy)
	if err != nil {
		return err
	}
	defer g.life.end(c)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	links, pollers := g.wire(entries, c.hard)
	pollCtx, stopPolls := context.WithCancel(ctx)
	var polls sync.WaitGroup
	for _, p := range pollers {
		polls.Go(func() { p.run(pollCtx) })
	}

	var mu sync.Mutex
	var errs []error
	var members sync.WaitGroup
	for i, en := range entries {
		members.Go(func() {
			var err error
			if en.member != nil {
				if err = en.member.run(ctx, links[i]); err != nil {
					err = fmt.Errorf("worker: Group: queue %q: %w", en.member.queue, err)
				}
			} else {
				err = en.runner.Run(ctx)
				if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
					err = nil
				}
				if err != nil {
					err = fmt.Errorf("worker: Group: runner %d (%T): %w", i, en.runner, err)
				}
			}
			if err != nil {
				g.log.Error("gosk: group member failed; stopping the group", slog.Any("error", err))
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
				cancel(errMemberFailed)
			}
		})
	}
	members.Wait()
	stopPolls()
	polls.Wait()
	return errors.Join(errs...)
}

// wire makes the link of each worker among entries (nil for Runners),
// with a share of a new budget if GroupConfig.MaxConcurrency is set, and
// one poller per driver with driver.DueReporter.
func (g *Group) wire(entries []groupEntry, hard <-chan struct{}) ([]*link, []*duePoller) {
	var b *budget
	if g.cfg.MaxConcurrency > 0 {
		b = newBudget(g.cfg.MaxConcurrency)
	}
	g.mu.Lock()
	g.budget = b
	g.mu.Unlock()
	links := make([]*link, len(entries))
	var pollers []*duePoller
	for i, en := range entries {
		if en.member == nil {
			continue
		}
		l := &link{log: g.cfg.Logger, onEvent: g.onEvent, hard: hard}
		if b != nil {
			l.share = b.join(en.weight)
		}
		if dr, ok := en.member.drv.(driver.DueReporter); ok {
			l.wake = make(chan struct{}, 1)
			var p *duePoller
			pollers, p = pollerFor(pollers, en.member.drv, dr, g.cfg.PollInterval, g.log)
			p.add(en.member.queue, l)
		}
		links[i] = l
	}
	return links, pollers
}

// Stop stops the Run in progress gracefully, as Worker.Stop does each of
// its workers: they claim no more tasks, let running handlers go on for
// up to their Config.ShutdownTimeout and store every outcome; Runners
// have their context ended. Stop waits for Run to return and returns nil,
// or, if ctx is done first, makes the shutdown hard, as StopNow does, and
// returns ctx's error. With no Run in progress it does nothing. It may be
// called from any goroutine, more than once, and at the same time as
// StopNow.
func (g *Group) Stop(ctx context.Context) error { return g.life.stopSoft(ctx) }

// StopNow stops the Run in progress at once, as Worker.StopNow does each
// of its workers: they claim no more tasks and cancel their running
// handlers with the cause ErrShutdown, whose tasks are released (or
// completed, if the handler then returns nil); Runners have their
// context ended. It waits for Run to return and returns nil, or ctx's
// error if ctx is done first. With no Run in progress it does nothing.
func (g *Group) StopNow(ctx context.Context) error { return g.life.stopHard(ctx) }

// Stopped returns a channel that is closed once the Run in progress has
// returned; with none in progress, a closed channel.
func (g *Group) Stopped() <-chan struct{} { return g.life.stopped() }
