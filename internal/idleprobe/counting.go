package main

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/gosk/gosk/driver"
)

// counts tallies calls by name. Its methods are safe for concurrent use.
type counts struct {
	mu sync.Mutex
	n  map[string]int64
}

func newCounts() *counts { return &counts{n: map[string]int64{}} }

func (c *counts) add(name string) {
	c.mu.Lock()
	c.n[name]++
	c.mu.Unlock()
}

// snapshot returns a copy of the tallies.
func (c *counts) snapshot() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.n)
}

// counted wraps a driver that has driver.Notifier and driver.Admin, as
// every shipped driver does, and counts every call of the port and of
// those capabilities. Scheduler and DueReporter, which not every driver
// has yet, are forwarded by the types that wrap: see wrap.
type counted struct {
	inner driver.Driver
	nt    driver.Notifier
	ad    driver.Admin
	n     *counts
}

// wrap returns a counting driver around inner with exactly the optional
// capabilities of inner (Notifier and Admin required), except
// driver.DueReporter when hideDue is set.
func wrap(inner driver.Driver, n *counts, hideDue bool) (driver.Driver, error) {
	nt, ok := inner.(driver.Notifier)
	if !ok {
		return nil, fmt.Errorf("%T has no driver.Notifier", inner)
	}
	ad, ok := inner.(driver.Admin)
	if !ok {
		return nil, fmt.Errorf("%T has no driver.Admin", inner)
	}
	c := &counted{inner: inner, nt: nt, ad: ad, n: n}
	dr, due := inner.(driver.DueReporter)
	sc, sched := inner.(driver.Scheduler)
	due = due && !hideDue
	switch {
	case due && sched:
		return &countedDueSched{counted: c, dr: dr, sc: sc}, nil
	case due:
		return &countedDue{counted: c, dr: dr}, nil
	case sched:
		return &countedSched{counted: c, sc: sc}, nil
	}
	return c, nil
}

func (c *counted) Create(ctx context.Context, t []driver.NewTask) ([]driver.CreateResult, error) {
	c.n.add("Create")
	return c.inner.Create(ctx, t)
}

func (c *counted) Claim(ctx context.Context, p driver.ClaimParams) ([]driver.ClaimedTask, error) {
	c.n.add("Claim")
	return c.inner.Claim(ctx, p)
}

func (c *counted) Ping(ctx context.Context, l []driver.Lease, extend time.Duration) ([]error, error) {
	c.n.add("Ping")
	return c.inner.Ping(ctx, l, extend)
}

func (c *counted) Finish(ctx context.Context, o []driver.Outcome) ([]error, error) {
	c.n.add("Finish")
	return c.inner.Finish(ctx, o)
}

func (c *counted) Get(ctx context.Context, id int64) (driver.TaskRecord, error) {
	c.n.add("Get")
	return c.inner.Get(ctx, id)
}

func (c *counted) Close() error { return c.inner.Close() }

func (c *counted) Subscribe(ctx context.Context, queue string) (*driver.Subscription, error) {
	c.n.add("Subscribe")
	return c.nt.Subscribe(ctx, queue)
}

func (c *counted) List(ctx context.Context, p driver.ListParams) ([]driver.TaskRecord, error) {
	c.n.add("List")
	return c.ad.List(ctx, p)
}

func (c *counted) Count(ctx context.Context, queue string) (map[driver.State]int64, error) {
	c.n.add("Count")
	return c.ad.Count(ctx, queue)
}

func (c *counted) Retry(ctx context.Context, ids []int64) ([]error, error) {
	c.n.add("Retry")
	return c.ad.Retry(ctx, ids)
}

func (c *counted) Cancel(ctx context.Context, ids []int64) ([]error, error) {
	c.n.add("Cancel")
	return c.ad.Cancel(ctx, ids)
}

func (c *counted) Purge(ctx context.Context, p driver.PurgeParams) (int, error) {
	c.n.add("Purge")
	return c.ad.Purge(ctx, p)
}

func (c *counted) Pause(ctx context.Context, queues []string) error {
	c.n.add("Pause")
	return c.ad.Pause(ctx, queues)
}

func (c *counted) Resume(ctx context.Context, queues []string) error {
	c.n.add("Resume")
	return c.ad.Resume(ctx, queues)
}

func (c *counted) PausedQueues(ctx context.Context) ([]string, error) {
	c.n.add("PausedQueues")
	return c.ad.PausedQueues(ctx)
}

// countedDue adds driver.DueReporter.
type countedDue struct {
	*counted
	dr driver.DueReporter
}

func (c *countedDue) Due(ctx context.Context, queues []string) ([]time.Duration, error) {
	c.n.add("Due")
	return c.dr.Due(ctx, queues)
}

// countedSched adds driver.Scheduler.
type countedSched struct {
	*counted
	sc driver.Scheduler
}

func (c *countedSched) CreateSlot(ctx context.Context, s driver.Slot) (driver.SlotResult, error) {
	c.n.add("CreateSlot")
	return c.sc.CreateSlot(ctx, s)
}

// countedDueSched adds both.
type countedDueSched struct {
	*counted
	dr driver.DueReporter
	sc driver.Scheduler
}

func (c *countedDueSched) Due(ctx context.Context, queues []string) ([]time.Duration, error) {
	c.n.add("Due")
	return c.dr.Due(ctx, queues)
}

func (c *countedDueSched) CreateSlot(ctx context.Context, s driver.Slot) (driver.SlotResult, error) {
	c.n.add("CreateSlot")
	return c.sc.CreateSlot(ctx, s)
}

// Compile-time checks that each wrapper has the capabilities it claims.
var (
	_ driver.Notifier    = (*counted)(nil)
	_ driver.Admin       = (*counted)(nil)
	_ driver.DueReporter = (*countedDue)(nil)
	_ driver.Scheduler   = (*countedSched)(nil)
	_ driver.DueReporter = (*countedDueSched)(nil)
	_ driver.Scheduler   = (*countedDueSched)(nil)
)
