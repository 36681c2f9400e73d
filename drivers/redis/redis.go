package redis

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/internal/retryonce"
)

// Compile-time checks that the driver offers the port and every capability.
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
	// DefaultPrefix is the key prefix used when Options.Prefix is empty.
	DefaultPrefix = "gosk:"
	// MaxPrefixLen is the longest key prefix, in bytes.
	MaxPrefixLen = 64
)

// Options configures a Driver. A nil *Options means every default.
type Options struct {
	// Prefix starts every key the driver writes, so that several
	// applications (or test runs) share one server. 1 to 64 bytes of ASCII
	// letters, digits and _ - . : /. Default: "gosk:".
	Prefix string

	// Lazy makes New and Open return without contacting the server: the
	// key layout is migrated by the first call that reaches it, and until
	// then every call fails as calls fail while the server is down (an
	// error that is not driver.ErrInvalid nor driver.ErrClosed, which
	// package worker retries with back-off). So a worker may start before
	// its Redis: it starts working once the server answers, without a
	// restart. Default false: New and Open migrate at once and refuse a
	// server that does not answer.
	Lazy bool

	// Retention, when positive, is a memory backstop: the scripts that
	// claim, finish or cancel tasks of a queue also delete a bounded number of that
	// queue's final tasks finalised longer ago than this. How long final
	// tasks are kept is the worker's policy (worker.Config.Retention,
	// which purges through Admin.Purge); set this only to bound the
	// server's memory when no worker purges. Default zero: the driver
	// deletes no task by itself, and every final task is kept until
	// Admin.Purge deletes it (a negative value, the former way to say so,
	// means the same). See # Retention in the package doc.
	Retention time.Duration

	// Logger receives what go-redis logs (a connection attempt that
	// failed, a cluster's or Sentinel's change of topology), at
	// slog.LevelWarn, which go-redis would otherwise write to stderr; the
	// failures that matter to a call also reach it as the call's error.
	// It hears them from New until Close. go-redis has one logger per
	// process: see # Logging in the package doc. Nil means silent.
	Logger *slog.Logger

	// MaxPayloadLen is the longest payload Create takes, in bytes; a
	// longer one is refused with ErrInvalid before it is sent. Zero means
	// driver.DefaultMaxPayloadLen (4 MiB); at most driver.MaxPayloadLimit
	// (512 MiB, Redis's default proto-max-bulk-len).
	MaxPayloadLen int
}

// Driver is a gosk driver on Redis (single node, Sentinel or Cluster). Its
// methods are safe for concurrent use by many goroutines and processes.
type Driver struct {
	client     goredis.UniversalClient
	ownsClient bool
	keys       keys
	retention  time.Duration // the backstop; zero: no script deletes a task
	maxPayload int           // Options.MaxPayloadLen with its default filled
	s          *scripts

	// migrations migrates the key layout once: at once, or for a Lazy
	// driver at its first call.
	migrations *retryonce.Once

	closed  atomic.Bool
	closing chan struct{}
	notify  notifier       // the subscriptions' shared connection
	subs    sync.WaitGroup // the goroutine reading it

	creates creates // coalesces concurrent small Creates
}

// New returns a driver on client, after bringing the key layout under the
// prefix to the version this code knows (see # Migrations in the package
// doc). The driver leaves client open when it is closed. A client made
// with go-redis's default MaxRetries resends a command whose connection
// broke, which may run a script twice (see Open); set MaxRetries to -1
// unless that is acceptable.
func New(ctx context.Context, client goredis.UniversalClient, opts *Options) (*Driver, error) {
	if client == nil {
		return nil, fmt.Errorf("%w: redis client is nil", driver.ErrInvalid)
	}
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	d := &Driver{
		client:     client,
		keys:       keys{prefix: o.Prefix},
		retention:  o.Retention,
		maxPayload: o.MaxPayloadLen,
		s:          loadScripts(),
		closing:    make(chan struct{}),
		migrations: retryonce.New(),
	}
	lines.listen(d, o.Logger)
	if o.Lazy {
		return d, nil
	}
	if err := d.migrations.Do(ctx, d.migrate); err != nil {
		lines.forget(d)
		return nil, err
	}
	return d, nil
}

// withDefaults returns the options with defaults filled, or an error
// naming the option out of range.
func (opts *Options) withDefaults() (Options, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if err := validatePrefix(o.Prefix); err != nil {
		return o, err
	}
	n, err := driver.PayloadLimit("gosk/redis: Options.MaxPayloadLen", o.MaxPayloadLen)
	if err != nil {
		return o, err
	}
	o.MaxPayloadLen = n
	if o.Retention < 0 {
		o.Retention = 0
	}
	return o, nil
}

// begin starts every call but Subscribe with its checks in the port's
// order (see Batches in package driver's doc): a closed driver refuses
// the call whatever its input; then invalid, the validator's answer on
// the input, refuses it; then use readies the store.
func (d *Driver) begin(ctx context.Context, invalid error) error {
	return d.migrations.Begin(ctx, d.checkOpen, invalid, d.migrate)
}

// use comes after a call's input is checked, before it reaches the store
// (see Batches in package driver's doc): it refuses a closed driver and,
// for a Lazy one, migrates the key layout if no call has yet. Calls wait
// for a migration in progress, until their context is done.
func (d *Driver) use(ctx context.Context) error {
	return d.begin(ctx, nil)
}

func validatePrefix(p string) error {
	if len(p) > MaxPrefixLen {
		return fmt.Errorf("%w: gosk/redis: Options.Prefix is %d bytes, longer than %d", driver.ErrInvalid, len(p), MaxPrefixLen)
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '_' || c == '-' || c == '.' || c == ':' || c == '/'
		if !ok {
			return fmt.Errorf("%w: gosk/redis: Options.Prefix %q has character %q; allowed are letters, digits and _ - . : / (braces would break the cluster hash tags)", driver.ErrInvalid, p, c)
		}
	}
	return nil
}

// migrate runs the numbered migrations in lua/migrations in order. Each is
// atomic and applies only if the prefix is at the version just before its
// own, so processes migrating at once are safe.
func (d *Driver) migrate(ctx context.Context) error {
	ms := migrations()
	for i, m := range ms {
		if err := m.Run(ctx, d.client, []string{d.keys.meta()}, i+1, len(ms)).Err(); err != nil {
			return translate(err)
		}
	}
	return nil
}

// Close stops the driver's subscriptions and, for a driver made by
// Open, closes its connection. Later calls return driver.ErrClosed.
func (d *Driver) Close() error {
	d.notify.mu.Lock()
	if d.closed.Swap(true) {
		d.notify.mu.Unlock()
		return nil
	}
	close(d.closing)
	d.notify.mu.Unlock()
	d.endAllSubs()
	d.subs.Wait()
	lines.forget(d)
	if d.ownsClient {
		return translate(d.client.Close())
	}
	return nil
}

// checkOpen is the first check of every call: a closed driver refuses
// it, whatever its input.
func (d *Driver) checkOpen() error {
	if d.closed.Load() {
		return driver.ErrClosed
	}
	return nil
}
