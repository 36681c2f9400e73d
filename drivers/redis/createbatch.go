package redis

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/gosk/gosk/driver"
)

// Limits of create coalescing: a Create of at most coalesceMaxTasks tasks
// may share its round trip with others, and one shared call carries at most
// coalesceBatchTasks tasks. Larger Creates go to the server on their own.
const (
	coalesceMaxTasks   = 64
	coalesceBatchTasks = 512
	// coalesceInFlight is how many shared calls may be in flight at
	// once, so that the server works on one while the next is built.
	coalesceInFlight = 2
)

// creates coalesces concurrent small Create calls (a group commit). A
// Create that finds no call in flight goes to the server at once, as the
// leader; Creates that arrive while one is in flight wait, and when the
// leader's round trip ends it hands all of them (up to coalesceBatchTasks
// tasks) to the first, which sends them as one Create: one script call per
// slot, in one pipeline. The combined call keeps each caller's tasks in
// order and callers in order of arrival, so its results are those of the
// callers' calls made one after another.
type creates struct {
	mu   sync.Mutex
	busy int          // leaders sending a batch
	wait []*createReq // callers waiting for the next batch
	// hold, if set (by tests), is called before each batch is sent.
	hold func()
	// off (set by benchmarks) sends every Create on its own.
	off bool
}

// createReq is one caller's Create inside the coalescer.
type createReq struct {
	ctx   context.Context
	tasks []driver.NewTask
	out   []driver.CreateResult
	err   error
	done  chan struct{}     // closed once out and err are set
	lead  chan []*createReq // receives the batch this caller must send
	taken bool              // under creates.mu: in a batch
	leads bool              // under creates.mu: sends its batch
}

// createShared stores valid tasks, sharing the round trip with concurrent
// callers.
func (d *Driver) createShared(ctx context.Context, tasks []driver.NewTask) ([]driver.CreateResult, error) {
	if len(tasks) > coalesceMaxTasks || d.creates.off {
		return d.createDirect(ctx, tasks)
	}
	r := &createReq{ctx: ctx, tasks: tasks, done: make(chan struct{}), lead: make(chan []*createReq, 1)}
	c := &d.creates
	c.mu.Lock()
	if c.busy < coalesceInFlight {
		c.busy++
		r.taken = true
		c.mu.Unlock()
		d.sendCreates([]*createReq{r})
		return r.out, r.err
	}
	c.wait = append(c.wait, r)
	c.mu.Unlock()
	select {
	case <-r.done:
		return r.out, r.err
	case b := <-r.lead:
		d.sendCreates(b)
		return r.out, r.err
	case <-ctx.Done():
	}
	c.mu.Lock()
	if !r.taken {
		for i, w := range c.wait {
			if w == r {
				c.wait = append(c.wait[:i], c.wait[i+1:]...)
				break
			}
		}
		c.mu.Unlock()
		return nil, ctx.Err()
	}
	leads := r.leads
	c.mu.Unlock()
	// Taken into a batch. If this caller is to send it, it must, for the
	// others; otherwise its result may still come, but it need not wait.
	if leads {
		d.sendCreates(<-r.lead)
		return r.out, r.err
	}
	select {
	case <-r.done:
		return r.out, r.err
	default:
		return nil, ctx.Err()
	}
}

// sendCreates sends batch as one Create, sets each caller's result, and
// hands the callers that arrived meanwhile to the first of them.
func (d *Driver) sendCreates(batch []*createReq) {
	d.createBatch(batch)
	c := &d.creates
	c.mu.Lock()
	if len(c.wait) == 0 {
		c.busy--
		c.mu.Unlock()
		return
	}
	n, k := 0, 0
	for k < len(c.wait) && (k == 0 || n+len(c.wait[k].tasks) <= coalesceBatchTasks) {
		n += len(c.wait[k].tasks)
		c.wait[k].taken = true
		k++
	}
	next := append([]*createReq(nil), c.wait[:k]...)
	next[0].leads = true
	c.wait = append(c.wait[:0:0], c.wait[k:]...)
	c.mu.Unlock()
	next[0].lead <- next
}

// createBatch runs the Creates of batch as one and sets their results.
func (d *Driver) createBatch(batch []*createReq) {
	if d.creates.hold != nil {
		d.creates.hold()
	}
	defer func() {
		for _, r := range batch {
			close(r.done)
		}
	}()
	if len(batch) == 1 {
		r := batch[0]
		r.out, r.err = d.createDirect(r.ctx, r.tasks)
		return
	}
	// The shared call ends when every caller's context has ended, not when
	// the first has.
	ctx, cancel := context.WithCancel(context.WithoutCancel(batch[0].ctx))
	defer cancel()
	var left atomic.Int64
	left.Store(int64(len(batch)))
	var all []driver.NewTask
	for _, r := range batch {
		stop := context.AfterFunc(r.ctx, func() {
			if left.Add(-1) == 0 {
				cancel()
			}
		})
		defer stop()
		all = append(all, r.tasks...)
	}
	out, failed, err := d.createAll(ctx, all)
	off := 0
	for _, r := range batch {
		n := len(r.tasks)
		switch {
		case err != nil:
			r.err = err
		case allFailed(failed[off : off+n]):
			r.err = failed[off]
		default:
			r.out = out[off : off+n : off+n]
		}
		off += n
	}
}

// createDirect stores valid tasks in one call of their own.
func (d *Driver) createDirect(ctx context.Context, tasks []driver.NewTask) ([]driver.CreateResult, error) {
	out, failed, err := d.createAll(ctx, tasks)
	if err != nil {
		return nil, err
	}
	if allFailed(failed) {
		return nil, failed[0]
	}
	return out, nil
}

// allFailed tells whether the call of every task's slot failed (failed
// holds that failure per task, nil where the call applied).
func allFailed(failed []error) bool {
	for _, e := range failed {
		if e == nil {
			return false
		}
	}
	return true
}
