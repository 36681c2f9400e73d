package postgres

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/gosk/gosk/driver"
)

// Limits of create grouping.
const (
	// groupMaxCall is the largest batch that joins a group; a larger one
	// fills a round trip by itself and goes alone.
	groupMaxCall = 64
	// groupMaxTasks and groupMaxBytes bound the tasks and payload bytes
	// of one group (a group always takes at least one call).
	groupMaxTasks = 1024
	groupMaxBytes = 4 << 20
	// groupsInFlight is how many groups may run at once. One: calls that
	// arrive while a group is in flight gather into the next, which then
	// shares one commit (one WAL flush). With 8 goroutines creating one
	// task per call, two groups in flight made smaller groups and about
	// halved the rate here (BenchmarkCreateParallel).
	groupsInFlight = 1
)

// createGroups gathers concurrent Create calls into shared statements.
type createGroups struct {
	mu      sync.Mutex
	pending []*createReq
	// slots holds a token for each group in flight.
	slots chan struct{}
}

func newCreateGroups() *createGroups {
	return &createGroups{slots: make(chan struct{}, groupsInFlight)}
}

// createReq is one Create call waiting for its group.
type createReq struct {
	ctx   context.Context
	tasks []driver.NewTask
	bytes int
	done  chan createAnswer // buffered: a leader never blocks on it
}

type createAnswer struct {
	res []driver.CreateResult
	err error
}

// createGrouped creates valid, non-empty tasks together with the other
// Create calls that are waiting at the same time: the call queues itself
// and then either receives its answer, or takes a slot and becomes the
// leader that runs every queued call (up to the group's bounds) as one
// batch. A lone call takes a free slot at once and runs by itself.
//
// The combined batch answers each call exactly as if the calls had run one
// after another in queue order: the batch's tasks keep their order, so a
// unique key repeated across calls is created for the first call and
// answered with ErrDuplicate and that task's ID for the later ones, as
// within one batch. Input is validated before a call joins, so one call's
// invalid input never fails another's. A call whose context ends while it
// is queued leaves the queue and returns the context's error, having
// stored nothing; once a leader has taken it, it waits for the group's
// outcome, which is then its own (stored or not, never half). A keyed
// group's insert is cancelled only when every call in it has been, and
// then stores nothing; a group without keys is one statement that
// commits by itself, and once sent it is waited for (see createAlone).
//
// Calls with unique keys and calls without go in separate lanes: a keyed
// insert may wait for the lock of a key that an uncommitted transaction
// holds, and so would every call in its group and those queued behind it;
// a call without keys never waits for a row lock and so never waits
// behind one that does.
func (d *Driver) createGrouped(ctx context.Context, tasks []driver.NewTask) ([]driver.CreateResult, error) {
	g := d.plain
	if hasUniqueKey(tasks) {
		g = d.keyed
	}
	req := &createReq{ctx: ctx, tasks: tasks, done: make(chan createAnswer, 1)}
	for _, t := range tasks {
		req.bytes += len(t.Payload)
	}
	g.mu.Lock()
	g.pending = append(g.pending, req)
	g.mu.Unlock()
	for {
		select {
		case a := <-req.done:
			return a.res, a.err
		default:
		}
		select {
		case a := <-req.done:
			return a.res, a.err
		case g.slots <- struct{}{}:
			if group := g.take(); len(group) > 0 {
				d.runGroup(ctx, group)
			}
			<-g.slots
			// Our call was in this group, or a leader before us has it:
			// its answer is in req.done or on its way.
		case <-ctx.Done():
			if g.withdraw(req) {
				return nil, ctx.Err()
			}
			a := <-req.done
			return a.res, a.err
		}
	}
}

// take removes from the queue the calls of the next group, in order.
func (g *createGroups) take() []*createReq {
	g.mu.Lock()
	defer g.mu.Unlock()
	n, tasks, bytes := 0, 0, 0
	for _, r := range g.pending {
		if n > 0 && (tasks+len(r.tasks) > groupMaxTasks || bytes+r.bytes > groupMaxBytes) {
			break
		}
		n, tasks, bytes = n+1, tasks+len(r.tasks), bytes+r.bytes
	}
	group := make([]*createReq, n)
	copy(group, g.pending)
	g.pending = append(g.pending[:0], g.pending[n:]...)
	return group
}

// withdraw takes req off the queue if no leader has taken it yet.
func (g *createGroups) withdraw(req *createReq) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	for i, r := range g.pending {
		if r == req {
			g.pending = append(g.pending[:i], g.pending[i+1:]...)
			return true
		}
	}
	return false
}

// runGroup creates the tasks of group as one batch and sends each call its
// part of the results. ctx is the leader's: the batch carries its values,
// and is cancelled once the context of every call in the group has ended.
func (d *Driver) runGroup(ctx context.Context, group []*createReq) {
	live := make([]*createReq, 0, len(group))
	for _, r := range group {
		switch {
		case d.closed.Load():
			r.done <- createAnswer{err: errClosed}
		case r.ctx.Err() != nil:
			r.done <- createAnswer{err: r.ctx.Err()}
		default:
			live = append(live, r)
		}
	}
	if len(live) == 0 {
		return
	}
	gctx, release := groupContext(ctx, live)
	defer release()
	var all []driver.NewTask
	if len(live) == 1 {
		all = live[0].tasks
	} else {
		for _, r := range live {
			all = append(all, r.tasks...)
		}
	}
	if d.groupHook != nil {
		d.groupHook(gctx, len(live))
	}
	res, err := d.createAlone(gctx, all)
	for _, r := range live {
		if err != nil {
			if errors.Is(err, context.Canceled) && r.ctx.Err() != nil {
				r.done <- createAnswer{err: r.ctx.Err()}
			} else {
				r.done <- createAnswer{err: err}
			}
			continue
		}
		n := len(r.tasks)
		r.done <- createAnswer{res: res[:n:n]}
		res = res[n:]
	}
}

// groupContext returns a context with parent's values that is done once
// the context of every call in live is done: nobody waits for the group
// any more.
func groupContext(parent context.Context, live []*createReq) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(parent))
	var left atomic.Int64
	left.Store(int64(len(live)))
	stops := make([]func() bool, len(live))
	for i, r := range live {
		stops[i] = context.AfterFunc(r.ctx, func() {
			if left.Add(-1) == 0 {
				cancel()
			}
		})
	}
	return ctx, func() {
		for _, stop := range stops {
			stop()
		}
		cancel()
	}
}
