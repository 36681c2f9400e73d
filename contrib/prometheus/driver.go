package goskprom

import (
	"context"
	"errors"
	"time"

	"github.com/gosk/gosk/driver"
)

//go:generate go run ./internal/capsgen/cmd/capsgen

// Driver returns d wrapped so that the tasks created and claimed through
// it are counted. The wrapper has exactly the optional capabilities of
// d among driver.Notifier, driver.Admin, driver.DueReporter,
// driver.Scheduler, driver.QueueLister and driver.Importer, forwarding
// each call to d unchanged; its Close closes d. Methods of d outside the
// port (an adapter's Tx) are not on the wrapper: call them on d, and wrap
// the Creator they return with Metrics.Creator. A nil d returns nil.
//
// Tasks stored by driver.Importer's Import are not counted, neither as
// created nor as duplicates: an import copies tasks created on another
// store (keeping their created-at there), so counting them would count a
// moved task twice where both stores are wrapped, and would count final
// tasks, never to be claimed, as created.
func (m *Metrics) Driver(d driver.Driver) driver.Driver {
	if d == nil {
		return nil
	}
	nt, isN := d.(driver.Notifier)
	ad, isA := d.(driver.Admin)
	dr, isD := d.(driver.DueReporter)
	sc, isS := d.(driver.Scheduler)
	ql, isQ := d.(driver.QueueLister)
	im, isI := d.(driver.Importer)
	p := parts{notifier{nt}, admin{ad}, due{dr}, sched{m, sc}, lister{ql}, importer{im}}
	// The bits are in the order of capsgen.Capabilities, which
	// wrappers_table_gen.go is indexed by.
	var mask int
	for i, has := range []bool{isN, isA, isD, isS, isQ, isI} {
		if has {
			mask |= 1 << i
		}
	}
	return wrappers[mask](&base{m: m, inner: d}, p)
}

// parts holds a forwarder for each capability; a wrapper embeds those of
// the capabilities its driver has, and only those hold a non-nil one.
type parts struct {
	n notifier
	a admin
	d due
	s sched
	q lister
	i importer
}

// Creator returns c wrapped so that the tasks created through it are
// counted: for the Creator an adapter binds to a transaction, as in
// q.In(m.Creator(drv.Tx(tx))). A nil c returns nil.
func (m *Metrics) Creator(c driver.Creator) driver.Creator {
	if c == nil {
		return nil
	}
	return creator{m: m, inner: c}
}

type creator struct {
	m     *Metrics
	inner driver.Creator
}

func (c creator) Create(ctx context.Context, tasks []driver.NewTask) ([]driver.CreateResult, error) {
	res, err := c.inner.Create(ctx, tasks)
	c.m.countCreated(tasks, res, err)
	return res, err
}

// countCreated counts the results of one Create call.
func (m *Metrics) countCreated(tasks []driver.NewTask, res []driver.CreateResult, err error) {
	if err != nil || len(res) != len(tasks) {
		return
	}
	for i, r := range res {
		switch {
		case r.Err == nil:
			m.created.WithLabelValues(tasks[i].Queue).Inc()
		case errors.Is(r.Err, driver.ErrDuplicate):
			m.duplicates.WithLabelValues(tasks[i].Queue).Inc()
		}
	}
}

// base wraps the port's methods; the types below add the capabilities.
type base struct {
	m     *Metrics
	inner driver.Driver
}

func (b *base) Create(ctx context.Context, tasks []driver.NewTask) ([]driver.CreateResult, error) {
	res, err := b.inner.Create(ctx, tasks)
	b.m.countCreated(tasks, res, err)
	return res, err
}

func (b *base) Claim(ctx context.Context, p driver.ClaimParams) ([]driver.ClaimedTask, error) {
	got, err := b.inner.Claim(ctx, p)
	if len(got) > 0 {
		b.m.claimed.WithLabelValues(p.Queue).Add(float64(len(got)))
	}
	return got, err
}

func (b *base) Ping(ctx context.Context, leases []driver.Lease, extend time.Duration) ([]error, error) {
	return b.inner.Ping(ctx, leases, extend)
}

func (b *base) Finish(ctx context.Context, outcomes []driver.Outcome) ([]error, error) {
	return b.inner.Finish(ctx, outcomes)
}

func (b *base) Get(ctx context.Context, id int64) (driver.TaskRecord, error) {
	return b.inner.Get(ctx, id)
}

func (b *base) Close() error { return b.inner.Close() }

type notifier struct{ nt driver.Notifier }

func (n notifier) Subscribe(ctx context.Context, queue string) (*driver.Subscription, error) {
	return n.nt.Subscribe(ctx, queue)
}

type admin struct{ ad driver.Admin }

func (a admin) List(ctx context.Context, p driver.ListParams) ([]driver.TaskRecord, error) {
	return a.ad.List(ctx, p)
}

func (a admin) Count(ctx context.Context, queue string) (map[driver.State]int64, error) {
	return a.ad.Count(ctx, queue)
}

func (a admin) Retry(ctx context.Context, ids []int64) ([]error, error) { return a.ad.Retry(ctx, ids) }

func (a admin) Cancel(ctx context.Context, ids []int64) ([]error, error) {
	return a.ad.Cancel(ctx, ids)
}

func (a admin) Purge(ctx context.Context, p driver.PurgeParams) (int, error) {
	return a.ad.Purge(ctx, p)
}

func (a admin) Pause(ctx context.Context, queues []string) error { return a.ad.Pause(ctx, queues) }

func (a admin) Resume(ctx context.Context, queues []string) error { return a.ad.Resume(ctx, queues) }

func (a admin) PausedQueues(ctx context.Context) ([]string, error) { return a.ad.PausedQueues(ctx) }

type due struct{ dr driver.DueReporter }

func (d due) Due(ctx context.Context, queues []string) ([]time.Duration, error) {
	return d.dr.Due(ctx, queues)
}

type sched struct {
	m  *Metrics
	sc driver.Scheduler
}

// CreateSlot counts the slot's task as created when the call created it,
// and as a duplicate when its unique key was held.
func (s sched) CreateSlot(ctx context.Context, slot driver.Slot) (driver.SlotResult, error) {
	res, err := s.sc.CreateSlot(ctx, slot)
	if err == nil {
		switch {
		case res.Created:
			s.m.created.WithLabelValues(slot.Task.Queue).Inc()
		case errors.Is(res.Err, driver.ErrDuplicate):
			s.m.duplicates.WithLabelValues(slot.Task.Queue).Inc()
		}
	}
	return res, err
}

type lister struct{ ql driver.QueueLister }

func (l lister) Queues(ctx context.Context) ([]string, error) { return l.ql.Queues(ctx) }

// importer forwards Import uncounted: see Metrics.Driver.
type importer struct{ im driver.Importer }

func (i importer) Import(ctx context.Context, tasks []driver.ImportTask) ([]driver.ImportResult, error) {
	return i.im.Import(ctx, tasks)
}
