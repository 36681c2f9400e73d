package memory

import (
	"context"
	"sync"
	"time"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/internal/wakeup"
)

// Options configures a Driver. The zero value is ready to use.
type Options struct {
	// Clock returns the current time. Default: time.Now.
	Clock func() time.Time

	// MaxPayloadLen is the longest payload Create takes, in bytes. Zero
	// means driver.DefaultMaxPayloadLen (4 MiB); at most
	// driver.MaxPayloadLimit. As New returns no error, a value out of
	// range makes every Create fail with ErrInvalid naming this option.
	MaxPayloadLen int
}

// Driver is an in-memory driver. Create one with New; it is safe for
// concurrent use.
type Driver struct {
	clock      func() time.Time
	maxPayload int
	optErr     error // an option out of range, returned by every Create

	mu     sync.Mutex
	closed bool
	lastID int64
	tasks  taskIndex
	queues map[string]*queue
	paused map[string]struct{} // the paused queues
	// origins maps each imported origin task (queue NUL origin NUL ID)
	// to its ID.
	origins map[string]int64
	hub     wakeup.Hub
}

var (
	_ driver.Driver      = (*Driver)(nil)
	_ driver.Notifier    = (*Driver)(nil)
	_ driver.Admin       = (*Driver)(nil)
	_ driver.DueReporter = (*Driver)(nil)
	_ driver.Creator     = txCreator{}
	_ driver.Scheduler   = (*Driver)(nil)
	_ driver.Importer    = (*Driver)(nil)
)

// New returns an empty driver.
func New(opts *Options) *Driver {
	d := &Driver{
		clock:   time.Now,
		queues:  make(map[string]*queue),
		paused:  make(map[string]struct{}),
		origins: make(map[string]int64),
	}
	if opts != nil && opts.Clock != nil {
		d.clock = opts.Clock
	}
	var n int
	if opts != nil {
		n = opts.MaxPayloadLen
	}
	d.maxPayload, d.optErr = driver.PayloadLimit("gosk/memory: Options.MaxPayloadLen", n)
	return d
}

// begin starts a call: it locks the store and checks, in the port's order,
// that the driver is open, then the call's input (invalid is the input's
// validation error, or nil), then ctx. If it returns nil the caller
// unlocks; otherwise the store is unlocked.
func (d *Driver) begin(ctx context.Context, invalid error) error {
	d.mu.Lock()
	err := invalid
	switch {
	case d.closed:
		err = driver.ErrClosed
	case err == nil:
		err = ctx.Err()
	}
	if err != nil {
		d.mu.Unlock()
	}
	return err
}

// validate checks a batch for Create against the driver's options.
func (d *Driver) validate(tasks []driver.NewTask) error {
	if d.optErr != nil {
		return d.optErr
	}
	return driver.ValidateNewTasksMax(tasks, d.maxPayload)
}

// Close marks the driver closed and stops every subscription. Stored tasks
// are dropped with the driver.
func (d *Driver) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.closed = true
	d.hub.Close()
	return nil
}
