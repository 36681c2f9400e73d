package redis

import (
	"context"
	"errors"
	"runtime"
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
	// coalesceBatchBytes bounds the payload bytes of one shared call (a
	// call always takes at least one caller), as PostgreSQL's groups are
	// bounded: 512 tasks of 4 MiB would be a 2 GiB request, which the
	// server takes many seconds to run, past the client's read timeout.
	coalesceBatchBytes = 4 << 20
	// coalesceInFlight is how many shared calls may be in flight at once
	// before Creates wait to be sent together. One: a create call costs
	// the server (and the client, in system calls) several times what
	// one more task in it costs, so that on a server-bound machine one
	// call of 8 callers' tasks beats 4 of 2 (with 8 callers on 2 cores, 4
	// in flight carried 1.6 tasks a call, 1 in flight 7.5, for a third
	// less CPU per task on each side); and the callers that arrive
	// meanwhile all ride the next call, not half of them.
	coalesceInFlight = 1
)

// creates coalesces concurrent small Create calls (a group commit). A
// Create that finds fewer than coalesceInFlight calls in flight goes to the
// server at once, as a leader; Creates that arrive while that many are in
// flight wait, and when a leader's round trip ends it hands all of them (up
// to coalesceBatchTasks tasks) to the first, which sends them as one
// Create: one script call per slot, in one pipeline. Before it sends, a
// leader yields the processor once (see gather), so that callers ready to
// run join its call rather than wait for the next. The combined call keeps
// each caller's tasks in order and callers in order of arrival, so its
// results are those of the callers' calls made one after another.
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
	tasks []driver.NewTask
	bytes int // the tasks' payload bytes
	out   []driver.CreateResult
	err   error
	done  chan struct{}     // closed once out and err are set
	lead  chan []*createReq // receives the batch this caller must send
	taken bool              // under creates.mu: in a batch
	leads bool              // under creates.mu: sends its batch
	// Under creates.mu: the shared call it is part of, once sent; gone
	// tells that its context ended before that.
	call *sharedCall
	gone bool
}

// sharedCall is the state of one coalesced call: it is cancelled when the
// contexts of all its callers have ended.
type sharedCall struct {
	left   atomic.Int64 // callers whose context has not ended
	cancel context.CancelFunc
}

// release notes that one caller's context has ended.
func (s *sharedCall) release() {
	if s.left.Add(-1) == 0 {
		s.cancel()
	}
}

// createShared stores valid tasks, sharing the round trip with concurrent
// callers.
func (d *Driver) createShared(ctx context.Context, tasks []driver.NewTask) ([]driver.CreateResult, error) {
	if len(tasks) > coalesceMaxTasks || d.creates.off {
		return d.createDirect(ctx, tasks)
	}
	r := &createReq{tasks: tasks, done: make(chan struct{}), lead: make(chan []*createReq, 1)}
	for _, t := range tasks {
		r.bytes += len(t.Payload)
	}
	c := &d.creates
	c.mu.Lock()
	if c.busy < coalesceInFlight {
		c.busy++
		r.taken = true
		c.mu.Unlock()
		d.sendCreates(ctx, []*createReq{r})
		return ownResult(ctx, r)
	}
	c.wait = append(c.wait, r)
	c.mu.Unlock()
	select {
	case <-r.done:
		return r.out, r.err
	case b := <-r.lead:
		d.sendCreates(ctx, b)
		return ownResult(ctx, r)
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
	call := r.call
	if !leads && call == nil {
		r.gone = true
	}
	c.mu.Unlock()
	// Taken into a batch. If this caller is to send it, it must, for the
	// others. Either way it waits for the batch's outcome, which is its
	// own: the batch may be at the server already, and a caller that
	// returned its context's error for tasks the batch then stored would
	// create them again. The batch is cancelled, before it is sent, only
	// once every caller in it has given up, and then stores nothing.
	if leads {
		d.sendCreates(ctx, <-r.lead)
		return ownResult(ctx, r)
	}
	if call != nil {
		call.release()
	}
	<-r.done
	return ownResult(ctx, r)
}

// ownResult returns r's result, with the error of a batch cancelled
// because every caller had given up said as r's own context's error.
func ownResult(ctx context.Context, r *createReq) ([]driver.CreateResult, error) {
	if r.err != nil && errors.Is(r.err, context.Canceled) && ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return r.out, r.err
}

// sendCreates sends batch as one Create, sets each caller's result, and
// hands the callers that arrived meanwhile to the first of them. ctx is
// the context of batch[0], the caller that sends it.
func (d *Driver) sendCreates(ctx context.Context, batch []*createReq) {
	d.createBatch(ctx, batch)
	c := &d.creates
	c.mu.Lock()
	if len(c.wait) == 0 {
		c.busy--
		c.mu.Unlock()
		return
	}
	n, b, k := 0, 0, 0
	for k < len(c.wait) && (k == 0 || fits(n, b, c.wait[k])) {
		n, b = n+len(c.wait[k].tasks), b+c.wait[k].bytes
		c.wait[k].taken = true
		k++
	}
	next := append([]*createReq(nil), c.wait[:k]...)
	next[0].leads = true
	c.wait = append(c.wait[:0:0], c.wait[k:]...)
	c.mu.Unlock()
	next[0].lead <- next
}

// createBatch runs the Creates of batch as one and sets their results;
// ctx is batch[0]'s.
func (d *Driver) createBatch(ctx context.Context, batch []*createReq) {
	batch = d.gather(batch)
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
		r.out, r.err = d.createDirect(ctx, r.tasks)
		return
	}
	// The shared call ends when every caller's context has ended, not when
	// the first has.
	shared, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	call := &sharedCall{cancel: cancel}
	call.left.Store(int64(len(batch)))
	gone := 0
	d.creates.mu.Lock()
	for _, r := range batch[1:] { // the others release their share themselves
		if r.gone {
			gone++
		} else {
			r.call = call
		}
	}
	d.creates.mu.Unlock()
	for range gone {
		call.release()
	}
	defer context.AfterFunc(ctx, call.release)() // this caller's share
	var all []driver.NewTask
	for _, r := range batch {
		all = append(all, r.tasks...)
	}
	out, failed, err := d.createAll(shared, all)
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

// gather yields the processor once, so that callers which are ready to
// run (most often those whose own call has just returned, making their
// next Create) reach the queue, and adds those waiting to batch, up to
// coalesceBatchTasks tasks. A lone caller pays only the yield: no timer,
// no wait for anyone. Without it, of callers woken together the first
// would be sent alone and the others would wait a round trip for it.
func (d *Driver) gather(batch []*createReq) []*createReq {
	runtime.Gosched()
	c := &d.creates
	c.mu.Lock()
	defer c.mu.Unlock()
	n, b := 0, 0
	for _, r := range batch {
		n, b = n+len(r.tasks), b+r.bytes
	}
	k := 0
	for k < len(c.wait) && fits(n, b, c.wait[k]) {
		n, b = n+len(c.wait[k].tasks), b+c.wait[k].bytes
		c.wait[k].taken = true
		k++
	}
	if k == 0 {
		return batch
	}
	batch = append(batch, c.wait[:k]...)
	c.wait = append(c.wait[:0:0], c.wait[k:]...)
	return batch
}

// fits tells whether r joins a shared call that carries n tasks of b
// payload bytes so far.
func fits(n, b int, r *createReq) bool {
	return n+len(r.tasks) <= coalesceBatchTasks && b+r.bytes <= coalesceBatchBytes
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
