package bbolt

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// CommitMode says how the driver turns its calls into bbolt write
// transactions. Every mode keeps each call atomic: a call's changes are
// committed together or not at all.
type CommitMode int

const (
	// CommitGrouped, the default, lets concurrent calls share one write
	// transaction, and so its fsyncs: a call that finds another call's
	// transaction in progress waits for it and then commits together with
	// every call that queued up meanwhile. A lone call commits at once, with
	// no added delay. After a transaction shared by several calls, the next
	// one waits, for at most a quarter of that transaction's duration, until
	// as many calls have come in as it answered, so that callers that write
	// in a loop (producers, workers) keep sharing one commit instead of
	// splitting into two halves that take turns.
	CommitGrouped CommitMode = iota
	// CommitEach gives every call its own write transaction (bbolt's
	// DB.Update): one fsync per call.
	CommitEach
	// CommitBoltBatch uses bbolt's DB.Batch, which gathers calls for up to
	// the DB's MaxBatchDelay (10ms by default) or MaxBatchSize calls. It
	// adds that delay to calls that find no company.
	CommitBoltBatch
)

// String returns the mode's name.
func (m CommitMode) String() string {
	switch m {
	case CommitGrouped:
		return "grouped"
	case CommitEach:
		return "each"
	case CommitBoltBatch:
		return "bolt-batch"
	}
	return fmt.Sprintf("CommitMode(%d)", int(m))
}

func (m CommitMode) valid() bool { return m >= CommitGrouped && m <= CommitBoltBatch }

// A write is one call's work inside a write transaction. It may run more
// than once (when a transaction it shared is rolled back because of
// another call), so it must start from scratch each time and keep its
// results only through what the last run leaves behind.
type write func(*bolt.Tx) error

// committer runs writes in the driver's CommitMode.
type committer struct {
	db   *bolt.DB
	mode CommitMode

	mu      sync.Mutex
	queue   []*request
	leading bool // a caller is running a transaction for the queue
	// arrivals counts the requests ever queued.
	arrivals int
	// last is the latest transaction that committed: how many requests
	// it answered, how long it took, and when and at which count of
	// arrivals it answered them.
	last struct {
		answered int
		took     time.Duration
		at       time.Time
		arrivals int
	}
}

// request is a write waiting for its turn in a grouped commit.
type request struct {
	ctx  context.Context
	fn   write
	done chan error // receives the result, or errLead
}

// errLead tells a waiting request that its caller now leads: it must run
// the next transaction for everyone queued.
var errLead = errors.New("gosk/bbolt: lead the next commit")

// do runs fn in a write transaction and returns once that transaction has
// committed or failed.
func (c *committer) do(ctx context.Context, fn write) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	switch c.mode {
	case CommitEach:
		return c.db.Update(fn)
	case CommitBoltBatch:
		return c.db.Batch(fn)
	}
	r := &request{ctx: ctx, fn: fn, done: make(chan error, 1)}
	c.mu.Lock()
	c.queue = append(c.queue, r)
	c.arrivals++
	if c.leading {
		c.mu.Unlock()
		if err := <-r.done; !errors.Is(err, errLead) {
			return err
		}
		c.mu.Lock()
	}
	c.leading = true
	c.gather()
	batch := c.queue
	c.queue = nil
	c.mu.Unlock()

	c.run(batch)

	// Hand the lead to the oldest waiter, if any, so that this caller
	// returns after one transaction instead of serving others for ever.
	c.mu.Lock()
	if len(c.queue) > 0 {
		c.queue[0].done <- errLead
	} else {
		c.leading = false
	}
	c.mu.Unlock()
	return <-r.done
}

// run commits the requests of batch in one transaction and delivers each
// its result. A request whose write fails is taken out and gets its error;
// the others run again in a fresh transaction, since the failed one's
// changes were part of the one rolled back.
func (c *committer) run(batch []*request) {
	live := batch[:0:0]
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.done <- err
			continue
		}
		live = append(live, r)
	}
	start := time.Now()
	for len(live) > 0 {
		failed := -1
		var failErr error
		err := c.db.Update(func(tx *bolt.Tx) error {
			for i, r := range live {
				if err := safeCall(r.fn, tx); err != nil {
					failed, failErr = i, err
					return err
				}
			}
			return nil
		})
		if failed >= 0 {
			live[failed].done <- failErr
			live = append(live[:failed], live[failed+1:]...)
			continue
		}
		if err == nil {
			c.mu.Lock()
			c.last.answered, c.last.took = len(live), time.Since(start)
			c.last.at, c.last.arrivals = time.Now(), c.arrivals
			c.mu.Unlock()
		}
		for _, r := range live {
			r.done <- err
		}
		return
	}
}

// gather holds a new leader back, with c.mu held, until the callers that
// the last transaction answered have had the time to queue their next
// writes: until as many requests have arrived since it answered them (the
// leader's own among them) as it answered, or a quarter of its duration
// has passed since. A lone caller writing in a loop is its own arrival
// and never waits; callers that took turns in one commit join the next
// one together, which cuts the commits (and fsyncs) of a steady stream of
// concurrent writes: 8 goroutines creating one task per call shared a
// commit 7.5 at a time instead of 4.5. The wait yields the processor
// rather than sleep, so it ends as soon as they are queued.
func (c *committer) gather() {
	l := c.last
	if l.answered < 2 {
		return
	}
	until := l.at.Add(l.took / 4)
	for c.arrivals-l.arrivals < l.answered && time.Now().Before(until) {
		c.mu.Unlock()
		runtime.Gosched()
		c.mu.Lock()
	}
}

// safeCall runs fn, turning a panic into an error so that one broken write
// cannot leave the callers queued behind it waiting for ever.
func safeCall(fn write, tx *bolt.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = errorf("panic in write: %v", p)
		}
	}()
	return fn(tx)
}
