package bbolt

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/internal/wakeup"
)

// Compile-time checks that Driver has every capability of the port.
var (
	_ driver.Driver      = (*Driver)(nil)
	_ driver.Notifier    = (*Driver)(nil)
	_ driver.Admin       = (*Driver)(nil)
	_ driver.DueReporter = (*Driver)(nil)
	_ driver.Creator     = (*txCreator)(nil)
	_ driver.Scheduler   = (*Driver)(nil)
)

// Defaults of Options.
const (
	// DefaultBucket is the top-level bucket used when Options.Bucket is
	// empty.
	DefaultBucket = "gosk"
	// DefaultLockTimeout is how long Open waits for the file lock when
	// Options.LockTimeout is zero.
	DefaultLockTimeout = time.Second
	// DefaultFileMode is the permission Open creates a new file with when
	// Options.FileMode is zero.
	DefaultFileMode os.FileMode = 0o600
	// MaxBucketNameLen is the longest Options.Bucket, in bytes.
	MaxBucketNameLen = 100
)

// Options configure a Driver. A nil *Options means every default.
type Options struct {
	// Bucket is the name of the top-level bucket that holds the driver's
	// data, so that the file can hold the application's own buckets
	// beside it: 1 to MaxBucketNameLen bytes of ASCII letters, digits and
	// _ - . : /. Default DefaultBucket ("gosk").
	Bucket string

	// Clock returns the current time; run-at, lease expiry and timestamps
	// are read from it. Default time.Now.
	Clock func() time.Time

	// Commit says how calls become write transactions. Default
	// CommitGrouped.
	Commit CommitMode

	// LockTimeout is how long Open waits for the file's lock, held by
	// another process (or another Open of the same file) that has it open,
	// before it fails with an error saying so. Open only. Default
	// DefaultLockTimeout (1s); negative is invalid.
	LockTimeout time.Duration

	// FileMode is the permission of a file that Open creates. Open only.
	// Default DefaultFileMode (0600).
	FileMode os.FileMode

	// MaxPayloadLen is the longest payload Create takes, in bytes; a
	// longer one is refused with ErrInvalid before the file is touched.
	// Zero means driver.DefaultMaxPayloadLen (4 MiB); at most
	// driver.MaxPayloadLimit (512 MiB; a bbolt value holds up to 2 GiB).
	MaxPayloadLen int
}

// Driver is a gosk driver storing tasks in a bbolt file. Build one with
// Open or New. Its methods are safe for concurrent use.
type Driver struct {
	db     *bolt.DB
	owned  bool // Open made db, so Close closes it
	bucket []byte
	clock  func() time.Time
	commit *committer
	// maxPayload is Options.MaxPayloadLen with its default filled.
	maxPayload int
	hub        wakeup.Hub

	mu     sync.RWMutex // held for reading by calls, for writing by Close
	closed atomic.Bool

	// afterCreateTask, set only by tests, runs in a create after the
	// writes of tasks[i]; its error ends the create.
	afterCreateTask func(tasks []driver.NewTask, i int) error
}

// Open opens (creating if needed) the bbolt file at path and returns a
// driver on it. The driver owns the file: Close closes it. If another
// process has the file open, Open waits up to Options.LockTimeout and then
// fails with an error that says so.
//
// ctx bounds Open as it bounds every adapter's Open: a ctx already done
// stops it before the file is opened and before the layout is migrated,
// and ctx's deadline, when sooner than Options.LockTimeout, shortens the
// wait for the lock (Open then fails with an error wrapping
// context.DeadlineExceeded). bbolt's calls take no context, so a cancel
// without a deadline is seen between those steps only. The driver keeps
// nothing of ctx.
func Open(ctx context.Context, path string, opts *Options) (*Driver, error) {
	o, err := fill(opts)
	if err != nil {
		return nil, err
	}
	if path == "" {
		return nil, fmt.Errorf("%w: gosk/bbolt: path is empty", driver.ErrInvalid)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("gosk/bbolt: open %s: %w", path, err)
	}
	wait, byCtx := o.LockTimeout, false
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
		wait, byCtx = max(time.Until(dl), time.Nanosecond), true
	}
	db, err := bolt.Open(path, o.FileMode, &bolt.Options{
		Timeout: wait,
		// The freelist is rebuilt from the pages when the file is opened,
		// instead of being written at every commit: fewer pages per
		// commit, same durability.
		NoFreelistSync: true,
		FreelistType:   bolt.FreelistMapType,
	})
	if errors.Is(err, bolterrors.ErrTimeout) && byCtx {
		return nil, fmt.Errorf("gosk/bbolt: open %s: the file is locked by another process or driver that has it open (waited %v, until the context's deadline): %w", path, wait.Round(time.Millisecond), context.DeadlineExceeded)
	}
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("gosk/bbolt: open %s: the file is locked by another process or driver that has it open (waited %v, Options.LockTimeout): %w", path, o.LockTimeout, err)
	}
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) { // its text would repeat the path
			err = pe.Err
		}
		return nil, fmt.Errorf("gosk/bbolt: open %s: %w", path, err)
	}
	d, err := newDriver(ctx, db, o, true)
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	return d, nil
}

// New returns a driver on a bbolt database the caller has already opened,
// using its own top-level bucket (Options.Bucket) beside the caller's
// data. Close leaves db open. db must be writable. A ctx already done
// stops New before it migrates the layout; the driver keeps nothing of
// ctx.
func New(ctx context.Context, db *bolt.DB, opts *Options) (*Driver, error) {
	if db == nil {
		return nil, fmt.Errorf("%w: gosk/bbolt: db is nil", driver.ErrInvalid)
	}
	o, err := fill(opts)
	if err != nil {
		return nil, err
	}
	return newDriver(ctx, db, o, false)
}

func newDriver(ctx context.Context, db *bolt.DB, o Options, owned bool) (*Driver, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("gosk/bbolt: migrate: %w", err)
	}
	if db.IsReadOnly() {
		return nil, fmt.Errorf("%w: gosk/bbolt: the database is open read-only; the driver needs to write", driver.ErrInvalid)
	}
	d := &Driver{
		db:     db,
		owned:  owned,
		bucket: []byte(o.Bucket),
		clock:  o.Clock,

		maxPayload: o.MaxPayloadLen,
		commit:     &committer{db: db, mode: o.Commit},
	}
	if err := db.Update(func(tx *bolt.Tx) error { return migrate(tx, d.bucket) }); err != nil {
		return nil, translate(err)
	}
	return d, nil
}

// fill validates opts and returns them with defaults filled.
func fill(opts *Options) (Options, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Bucket == "" {
		o.Bucket = DefaultBucket
	}
	if err := validateBucket(o.Bucket); err != nil {
		return o, err
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	n, err := driver.PayloadLimit("gosk/bbolt: Options.MaxPayloadLen", o.MaxPayloadLen)
	if err != nil {
		return o, err
	}
	o.MaxPayloadLen = n
	if !o.Commit.valid() {
		return o, fmt.Errorf("%w: gosk/bbolt: Options.Commit: unknown mode %v", driver.ErrInvalid, o.Commit)
	}
	if o.LockTimeout < 0 {
		return o, fmt.Errorf("%w: gosk/bbolt: Options.LockTimeout %v is negative", driver.ErrInvalid, o.LockTimeout)
	}
	if o.LockTimeout == 0 {
		o.LockTimeout = DefaultLockTimeout
	}
	if o.FileMode == 0 {
		o.FileMode = DefaultFileMode
	}
	return o, nil
}

func validateBucket(name string) error {
	if len(name) > MaxBucketNameLen {
		return fmt.Errorf("%w: gosk/bbolt: Options.Bucket is %d bytes, longer than %d", driver.ErrInvalid, len(name), MaxBucketNameLen)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '_' || c == '-' || c == '.' || c == ':' || c == '/'
		if !ok {
			return fmt.Errorf("%w: gosk/bbolt: Options.Bucket %q has character %q; allowed are letters, digits and _ - . : /", driver.ErrInvalid, name, c)
		}
	}
	return nil
}

// DB returns the bbolt database the driver works on, for transactions
// that create tasks together with the application's own writes (see
// Tx).
func (d *Driver) DB() *bolt.DB { return d.db }

// Close stops every subscription and, if the driver opened the file,
// closes it. It waits for calls in progress. Later calls return
// driver.ErrClosed. Close is safe to call more than once.
func (d *Driver) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed.Swap(true) {
		return nil
	}
	d.hub.Close()
	if d.owned {
		return translate(d.db.Close())
	}
	return nil
}

// enter starts a call: it fails with ErrClosed after Close, and otherwise
// holds Close off until the returned function is called.
func (d *Driver) enter() (func(), error) {
	d.mu.RLock()
	if d.closed.Load() {
		d.mu.RUnlock()
		return nil, driver.ErrClosed
	}
	return d.mu.RUnlock, nil
}

// now reads the clock in Unix nanoseconds.
func (d *Driver) now() int64 { return d.clock().UnixNano() }

// view runs fn in a read transaction on the driver's buckets.
func (d *Driver) view(ctx context.Context, fn func(*store) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return translate(d.db.View(d.inStore(fn)))
}

// update runs fn in a write transaction on the driver's buckets, in the
// driver's commit mode; fn may run more than once (see write).
func (d *Driver) update(ctx context.Context, fn func(*store) error) error {
	return translate(d.commit.do(ctx, d.inStore(fn)))
}

// inStore returns a transaction's work that runs fn on the driver's
// buckets in that transaction.
func (d *Driver) inStore(fn func(*store) error) func(*bolt.Tx) error {
	return func(tx *bolt.Tx) error {
		s, err := openStore(tx, d.bucket)
		if err != nil {
			return err
		}
		return fn(s)
	}
}

// updateAndWake is update for calls that can make tasks available at
// once: fn notes in wake the queues that got such a task, and their
// subscribers are woken once the transaction has committed. wake is fresh
// at each run of fn, so only the run that committed counts.
func (d *Driver) updateAndWake(ctx context.Context, fn func(s *store, wake wakeup.Queues) error) error {
	var wake wakeup.Queues
	err := d.update(ctx, func(s *store) error {
		wake = make(wakeup.Queues)
		return fn(s, wake)
	})
	if err == nil {
		d.hub.Wake(wake)
	}
	return err
}

// changeTasks is the frame of the calls that change a batch of n tasks and
// return a result for each (Retry, Cancel, Ping, Finish). It starts the
// call, returns invalid (the batch's validation error) if it is not nil,
// and runs change in one write transaction (see updateAndWake) with the
// clock read once. change must set every item of res at each run, since it
// may run more than once.
func (d *Driver) changeTasks(ctx context.Context, n int, invalid error,
	change func(s *store, now int64, res []error, wake wakeup.Queues) error,
) ([]error, error) {
	leave, err := d.enter()
	if err != nil {
		return nil, err
	}
	defer leave()
	if invalid != nil {
		return nil, invalid
	}
	res := make([]error, n)
	if n == 0 {
		return res, nil
	}
	err = d.updateAndWake(ctx, func(s *store, wake wakeup.Queues) error {
		return change(s, d.now(), res, wake)
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// changeEach is changeTasks for the calls whose items each act on one
// task (Ping, Finish, Retry, Cancel); item i names task id(i). A missing
// task's result is ErrTaskNotFound. For a task that exists, check returns
// the item's error if the item may not act on it (the task is left as it
// is), and change then changes the task in place, or returns the item's
// error having changed nothing; the changed task is stored.
func (d *Driver) changeEach(ctx context.Context, n int, invalid error,
	id func(i int) int64,
	check func(i int, t *task) error,
	change func(i int, t *task, q *queueBuckets, now int64, wake wakeup.Queues) error,
) ([]error, error) {
	return d.changeTasks(ctx, n, invalid, func(s *store, now int64, res []error, wake wakeup.Queues) error {
		for i := range n {
			t, err := s.load(id(i))
			if err != nil {
				return err
			}
			if t == nil {
				res[i] = driver.NewTaskError(id(i), driver.ErrTaskNotFound, "")
				continue
			}
			if res[i] = check(i, t); res[i] != nil {
				continue
			}
			q, err := s.queueOf(t)
			if err != nil {
				return err
			}
			old := *t
			if res[i] = change(i, t, q, now, wake); res[i] != nil {
				continue
			}
			if err := s.move(q, &old, t, now); err != nil {
				return err
			}
		}
		return nil
	})
}

// translate is the adapter's one error translation, applied to every error
// it returns: bbolt's closed-database errors become driver.ErrClosed, the
// port's sentinels and context errors pass as they are, and anything else
// is wrapped so that its cause stays reachable.
func translate(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.Is(err, bolterrors.ErrDatabaseNotOpen):
		return fmt.Errorf("%w: %w", driver.ErrClosed, err)
	case driver.IsPortError(err), isOwn(err):
		return err // ours, already saying where it comes from
	}
	return fmt.Errorf("gosk/bbolt: %w", err)
}

// ownError is an error this adapter made (see errorf), whose text already
// says where it comes from.
type ownError struct{ err error }

func (e *ownError) Error() string { return e.err.Error() }
func (e *ownError) Unwrap() error { return e.err }

// errorf formats an error of this adapter's own, "gosk/bbolt: " and the
// format, which translate passes on as it is.
func errorf(format string, args ...any) error {
	return &ownError{fmt.Errorf("gosk/bbolt: "+format, args...)}
}

// isOwn reports whether err is, or wraps, an error this adapter made: one
// from errorf or one of its sentinels.
func isOwn(err error) bool {
	var own *ownError
	return errors.As(err, &own) || errors.Is(err, errCorrupt) ||
		errors.Is(err, ErrNewerSchema) || errors.Is(err, ErrForeignLayout)
}
