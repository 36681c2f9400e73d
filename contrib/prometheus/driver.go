package goskprom

import (
	"context"
	"errors"
	"time"

	"github.com/gosk/gosk/driver"
)

// Driver returns d wrapped so that the tasks created and claimed through
// it are counted. The wrapper has exactly the optional capabilities of
// d among driver.Notifier, driver.Admin, driver.DueReporter and
// driver.Scheduler, forwarding each call to d unchanged; its Close
// closes d. Methods of d outside the port (an adapter's Tx) are not on
// the wrapper: call them on d, and wrap the Creator they return with
// Metrics.Creator. A nil d returns nil.
func (m *Metrics) Driver(d driver.Driver) driver.Driver {
	if d == nil {
		return nil
	}
	b := &base{m: m, inner: d}
	nt, isN := d.(driver.Notifier)
	ad, isA := d.(driver.Admin)
	dr, isD := d.(driver.DueReporter)
	sc, isS := d.(driver.Scheduler)
	n, a, r, s := notifier{nt}, admin{ad}, due{dr}, sched{m, sc}
	var mask int
	for i, has := range []bool{isN, isA, isD, isS} {
		if has {
			mask |= 1 << i
		}
	}
	switch mask {
	case 0b0001:
		return &dN{b, n}
	case 0b0010:
		return &dA{b, a}
	case 0b0011:
		return &dNA{b, n, a}
	case 0b0100:
		return &dD{b, r}
	case 0b0101:
		return &dND{b, n, r}
	case 0b0110:
		return &dAD{b, a, r}
	case 0b0111:
		return &dNAD{b, n, a, r}
	case 0b1000:
		return &dS{b, s}
	case 0b1001:
		return &dNS{b, n, s}
	case 0b1010:
		return &dAS{b, a, s}
	case 0b1011:
		return &dNAS{b, n, a, s}
	case 0b1100:
		return &dDS{b, r, s}
	case 0b1101:
		return &dNDS{b, n, r, s}
	case 0b1110:
		return &dADS{b, a, r, s}
	case 0b1111:
		return &dNADS{b, n, a, r, s}
	}
	return b
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

// One type per set of capabilities (N Notifier, A Admin, D DueReporter,
// S Scheduler), so that a type assertion on the wrapper finds exactly
// the capabilities of the driver it wraps.
type (
	dN struct {
		*base
		notifier
	}
	dA struct {
		*base
		admin
	}
	dNA struct {
		*base
		notifier
		admin
	}
	dD struct {
		*base
		due
	}
	dND struct {
		*base
		notifier
		due
	}
	dAD struct {
		*base
		admin
		due
	}
	dNAD struct {
		*base
		notifier
		admin
		due
	}
	dS struct {
		*base
		sched
	}
	dNS struct {
		*base
		notifier
		sched
	}
	dAS struct {
		*base
		admin
		sched
	}
	dNAS struct {
		*base
		notifier
		admin
		sched
	}
	dDS struct {
		*base
		due
		sched
	}
	dNDS struct {
		*base
		notifier
		due
		sched
	}
	dADS struct {
		*base
		admin
		due
		sched
	}
	dNADS struct {
		*base
		notifier
		admin
		due
		sched
	}
)
