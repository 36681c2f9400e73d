package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivers/postgres"
	goskredis "github.com/gosk/gosk/drivers/redis"
	"github.com/gosk/gosk/drivers/sqlite"
	"github.com/gosk/gosk/worker"
)

// store is the driver the program runs on.
type store struct {
	drv   driver.Driver
	where string // what to print
	close func()
}

// open opens the store cfg names: PostgreSQL, Redis, or else a SQLite
// file in cfg.dir (a temporary directory, removed by close, if empty).
func open(ctx context.Context, cfg config) (*store, error) {
	switch {
	case cfg.postgres != "" && cfg.redis != "":
		return nil, fmt.Errorf("-postgres and -redis: choose one store")
	case cfg.postgres != "":
		drv, err := postgres.Open(ctx, cfg.postgres, &postgres.Options{Schema: cfg.schema})
		if err != nil {
			return nil, fmt.Errorf("open PostgreSQL: %w", err)
		}
		return &store{drv: drv, where: "PostgreSQL, schema " + cfg.schema, close: func() { _ = drv.Close() }}, nil
	case cfg.redis != "":
		drv, err := goskredis.Open(ctx, cfg.redis, &goskredis.Options{Prefix: cfg.prefix})
		if err != nil {
			return nil, fmt.Errorf("open Redis: %w", err)
		}
		return &store{drv: drv, where: "Redis, under the key prefix " + cfg.prefix, close: func() { _ = drv.Close() }}, nil
	}
	dir, removeDir := cfg.dir, func() {}
	if dir == "" {
		tmp, err := os.MkdirTemp("", "gosk-service-")
		if err != nil {
			return nil, err
		}
		dir, removeDir = tmp, func() { _ = os.RemoveAll(tmp) }
	}
	path := filepath.Join(dir, "service.db")
	drv, err := sqlite.Open(ctx, path, nil)
	if err != nil {
		removeDir()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return &store{drv: drv, where: path, close: func() { _ = drv.Close(); removeDir() }}, nil
}

// progress follows the runs of the Group's workers through its OnEvent
// hook, and tells the program when its work is done.
type progress struct {
	// resumed is set just before the thumbnails queue is resumed;
	// ranPaused counts thumbnail runs that began before.
	resumed   atomic.Bool
	ranPaused atomic.Int64

	// emailsSent is closed once every e-mail created at start completed;
	// done once every e-mail and thumbnail did, and reports reports ran
	// (never, if reports is 0).
	emailsSent, done chan struct{}

	mu      sync.Mutex
	left    map[int64]string // tasks created at start and not yet completed, with their queue
	emails  int              // e-mails among left
	reports int              // reports to run before done
	count   map[string]int   // completed runs by queue
	closed  bool             // done is closed
}

// newProgress returns the progress of a run that created these e-mails
// and thumbnails, and stops after reports reports.
func newProgress(emails, thumbnails []int64, reports int) *progress {
	p := &progress{
		emailsSent: make(chan struct{}),
		done:       make(chan struct{}),
		left:       map[int64]string{},
		emails:     len(emails),
		reports:    reports,
		count:      map[string]int{},
	}
	for _, id := range emails {
		p.left[id] = "emails"
	}
	for _, id := range thumbnails {
		p.left[id] = "thumbnails"
	}
	if p.emails == 0 {
		close(p.emailsSent)
	}
	return p
}

// event is the Group's OnEvent hook: the Group calls it once a run's
// outcome is stored, from one worker at a time.
func (p *progress) event(ev worker.Event) {
	if ev.Kind != worker.EventCompleted {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	q := ev.Task.Queue
	if q != "reports" {
		if p.left[ev.Task.ID] != q {
			return // a task left over from an earlier run on this store
		}
		delete(p.left, ev.Task.ID)
	}
	p.count[q]++
	if q == "emails" {
		if p.emails--; p.emails == 0 {
			close(p.emailsSent)
		}
	}
	if !p.closed && p.reports > 0 && len(p.left) == 0 && p.count["reports"] >= p.reports {
		p.closed = true
		close(p.done)
	}
}

// snapshot returns the completed runs by queue and the thumbnail runs
// that began while their queue was paused.
func (p *progress) snapshot() (map[string]int, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	count := make(map[string]int, len(p.count))
	for q, n := range p.count {
		count[q] = n
	}
	return count, int(p.ranPaused.Load())
}
