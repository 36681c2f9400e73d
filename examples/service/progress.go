package main

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/gosk/gosk/worker"
)

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

// printer writes lines to w from any goroutine.
type printer struct {
	mu sync.Mutex
	w  io.Writer
}

func (p *printer) printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, format+"\n", args...)
}
