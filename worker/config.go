package worker

import (
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"time"

	"github.com/gosk/gosk"
)

// Defaults of Config.
const (
	// DefaultConcurrency is Config.Concurrency's default.
	DefaultConcurrency = 10
	// ConcurrencyLimit is the largest Config.Concurrency, and the largest
	// Config.Prefetch: 65,536. A worker sets aside room for twice
	// Concurrency+Prefetch tasks when it starts and asks its store for up
	// to Concurrency+Prefetch in one claim, so a setting far beyond what a
	// process can run (math.MaxInt, taken for "no limit") would exhaust its
	// memory at Run, or overflow into a claim of nothing. More handlers
	// than this run in several workers (see Group).
	ConcurrencyLimit = 1 << 16
	// DefaultLease is Config.Lease's default.
	DefaultLease = 30 * time.Second
	// MinLease is the shortest Config.Lease: 100ms. A lease must outlast
	// a ping's round trip to the store several times over on a loaded
	// machine (pings go every Lease/3 by default), and stores keep time to
	// a millisecond; a shorter lease would run out between pings and have
	// tasks run twice.
	MinLease = 100 * time.Millisecond
	// MinPingInterval is the shortest Config.PingInterval: 1ms, below
	// which the worker would do little but ping.
	MinPingInterval = time.Millisecond
	// DefaultPollInterval is Config.PollInterval's default.
	DefaultPollInterval = time.Second
	// DefaultFinishWindow is Config.FinishWindow's default.
	DefaultFinishWindow = 2 * time.Millisecond
	// DefaultClaimWindow is Config.ClaimWindow's default: about a
	// claim's round trip to a nearby SQL store, so that slots that come
	// free within one are claimed together.
	DefaultClaimWindow = time.Millisecond
	// DefaultFinishBatch is Config.FinishBatch's default.
	DefaultFinishBatch = 100
	// DefaultShutdownTimeout is Config.ShutdownTimeout's default.
	DefaultShutdownTimeout = 10 * time.Second
	// DefaultRetention is Config.Retention's default.
	DefaultRetention = 24 * time.Hour
	// DefaultRetentionInterval is Config.RetentionInterval's default.
	DefaultRetentionInterval = time.Minute
	// DefaultRetentionBatch is Config.RetentionBatch's default.
	DefaultRetentionBatch = 1000
)

// NoRetention, as Config.Retention, keeps final tasks for ever: the worker
// purges nothing.
const NoRetention time.Duration = -1

// NoClaimWindow, as Config.ClaimWindow, makes the worker claim as soon as
// a slot is free.
const NoClaimWindow time.Duration = -1

// Config configures a Worker. Every field's zero value means its default;
// nil means all defaults. New refuses invalid settings with an error that
// wraps gosk.ErrInvalid and names the field.
type Config struct {
	// Concurrency is how many handlers run at once. Default 10; at most
	// ConcurrencyLimit. The worker holds up to twice as many tasks (with
	// Prefetch, twice Concurrency+Prefetch): those running and those
	// whose outcome waits to be stored.
	Concurrency int

	// Prefetch is how many claimed tasks may wait for a handler, beyond
	// Concurrency: a claim then asks for up to Concurrency+Prefetch
	// tasks, and a handler that returns takes the next waiting task at
	// once, with no round trip to the store. The worker holds up to twice
	// Concurrency+Prefetch tasks, and the finisher stores up to that many
	// outcomes in one call (within FinishBatch). A waiting task is leased
	// and pinged like a running one, so no other worker takes it; the
	// shutdown releases those that no handler took, unrun. It pays with
	// short handlers, whose pace the store's round trips set; with long
	// ones it keeps tasks waiting here that idle workers elsewhere could
	// run. Work, and a worker in a Group with a shared budget, do not
	// claim ahead. Default 0: claims are only for free handlers; at most
	// ConcurrencyLimit.
	Prefetch int

	// Rule is the order in which tasks are claimed. Default gosk.Fifo.
	Rule gosk.PriorityRule

	// Lease is how long a claimed task is held without a ping; a task
	// whose worker stops pinging is claimable again once it runs out.
	// Default 30s; at least MinLease (100ms).
	Lease time.Duration

	// PingInterval is how often the worker extends the leases of all the
	// tasks it holds, in one driver call. It must be shorter than Lease,
	// and at least MinPingInterval (1ms). Default Lease/3.
	PingInterval time.Duration

	// PollInterval is how long an idle worker waits before it looks for
	// tasks again, give or take 20% of jitter so that workers started
	// together spread out. A driver with driver.Notifier wakes the worker
	// sooner. Default 1s.
	PollInterval time.Duration

	// FinishWindow is how long handler outcomes are gathered before they
	// are stored in one driver call, unless a full batch (see FinishBatch)
	// is ready first or no other handler is still running. It must be
	// shorter than PingInterval. Default 2ms.
	FinishWindow time.Duration

	// ClaimWindow is how long the worker waits, once some of its
	// slots are free but not all, for more to come free before it
	// claims, so that one claim fills them together instead of one claim
	// going out for each handler that returns: a claim costs a round trip
	// and, on a SQL store, a commit, whatever its size. The worker claims
	// at once when every slot is free, or, with Prefetch and a store
	// that answered the last claim within an eighth of ClaimWindow (one
	// in the process, such as drivers/memory), when Concurrency slots
	// are: a claim that fills every handler once, while the tasks held
	// ahead keep them busy. It must be shorter than
	// PingInterval. Default 1ms (DefaultClaimWindow), or PingInterval/2
	// if that is shorter; NoClaimWindow claims as soon as any slot is
	// free.
	ClaimWindow time.Duration

	// FinishBatch is the most outcomes stored in one driver call. A batch
	// is also sent as soon as it holds Concurrency+Prefetch outcomes, since the
	// worker then claims no more until they are stored. Default 100.
	FinishBatch int

	// HandlerTimeout, if positive, bounds each handler run: its context is
	// cancelled with the cause ErrHandlerTimeout when the time is up.
	// Default 0: no bound but the handler's own.
	HandlerTimeout time.Duration

	// ShutdownTimeout is how long running handlers may go on once Run's
	// context is done or Stop is called (StopNow does not wait). After
	// it, their contexts are cancelled, and the tasks of those that then
	// return an error are released without using up an attempt. Default
	// 10s.
	ShutdownTimeout time.Duration

	// Backoff gives the delay before a task that failed its attempt-th
	// attempt (1 for the first) is tried again. It is called on the
	// worker's finishing goroutine, so it must return quickly and must not
	// panic. Default DefaultBackoff.
	Backoff func(attempt int) time.Duration

	// Retention is how long final tasks are kept before the worker
	// purges them, when the driver has driver.Admin. Any worker of the
	// queue purges; no leader is needed. NoRetention keeps them for
	// ever. Default 24h.
	Retention time.Duration

	// RetentionInterval is how often the worker purges, give or take 20%.
	// Default 1m.
	RetentionInterval time.Duration

	// RetentionBatch is the most tasks deleted by one purge call; a purge
	// round makes at most 10 calls. Default 1000.
	RetentionBatch int

	// Logger receives the worker's logs. Default: none, the worker is
	// silent.
	Logger *slog.Logger

	// Middleware wraps every handler call, the first element outermost:
	// the place for tracing spans, metrics and context values.
	Middleware []Middleware

	// OnEvent, if set, is told of every task run once its outcome is
	// stored, or known lost. A running worker calls it from one goroutine,
	// never concurrently with itself, on the path that stores outcomes: it
	// must return quickly and must not panic. Workers that share an
	// OnEvent call it concurrently.
	OnEvent func(Event)
}

// fill returns c with defaults filled, or an error naming the first
// invalid field.
func (c Config) fill() (Config, error) {
	bad := func(format string, args ...any) (Config, error) {
		return c, fmt.Errorf("%w: worker: "+format, append([]any{gosk.ErrInvalid}, args...)...)
	}
	if c.Concurrency < 0 {
		return bad("Config.Concurrency %d is negative", c.Concurrency)
	}
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.Concurrency > ConcurrencyLimit {
		return bad("Config.Concurrency %d is over ConcurrencyLimit (%d)", c.Concurrency, ConcurrencyLimit)
	}
	if c.Prefetch < 0 {
		return bad("Config.Prefetch %d is negative", c.Prefetch)
	}
	if c.Prefetch > ConcurrencyLimit {
		return bad("Config.Prefetch %d is over ConcurrencyLimit (%d)", c.Prefetch, ConcurrencyLimit)
	}
	if c.Rule == 0 {
		c.Rule = gosk.Fifo
	}
	if !c.Rule.Valid() {
		return c, fmt.Errorf("%w: worker: Config.Rule is %v, not one of Fifo, Lifo, Priority", gosk.ErrUnsupportedPriorityRule, c.Rule)
	}
	if c.Lease < 0 {
		return bad("Config.Lease %v is negative", c.Lease)
	}
	if c.Lease == 0 {
		c.Lease = DefaultLease
	}
	if c.Lease < MinLease {
		return bad("Config.Lease %v is shorter than MinLease %v: a lease that short runs out between pings on a loaded machine", c.Lease, MinLease)
	}
	if c.PingInterval < 0 {
		return bad("Config.PingInterval %v is negative", c.PingInterval)
	}
	if c.PingInterval == 0 {
		c.PingInterval = c.Lease / 3
	}
	if c.PingInterval < MinPingInterval {
		return bad("Config.PingInterval %v is shorter than MinPingInterval %v", c.PingInterval, MinPingInterval)
	}
	if c.PingInterval >= c.Lease {
		return bad("Config.PingInterval %v is not shorter than Config.Lease %v, so leases would run out between pings", c.PingInterval, c.Lease)
	}
	if c.PollInterval < 0 {
		return bad("Config.PollInterval %v is negative", c.PollInterval)
	}
	if c.PollInterval == 0 {
		c.PollInterval = DefaultPollInterval
	}
	if c.FinishWindow < 0 {
		return bad("Config.FinishWindow %v is negative", c.FinishWindow)
	}
	if c.FinishWindow == 0 {
		c.FinishWindow = min(DefaultFinishWindow, c.PingInterval/2)
	}
	if c.FinishWindow >= c.PingInterval {
		return bad("Config.FinishWindow %v is not shorter than Config.PingInterval %v", c.FinishWindow, c.PingInterval)
	}
	if c.ClaimWindow < 0 && c.ClaimWindow != NoClaimWindow {
		return bad("Config.ClaimWindow %v is negative; use NoClaimWindow to claim as soon as a slot is free", c.ClaimWindow)
	}
	if c.ClaimWindow == 0 {
		c.ClaimWindow = min(DefaultClaimWindow, c.PingInterval/2)
	}
	if c.ClaimWindow >= c.PingInterval {
		return bad("Config.ClaimWindow %v is not shorter than Config.PingInterval %v", c.ClaimWindow, c.PingInterval)
	}
	if c.FinishBatch < 0 {
		return bad("Config.FinishBatch %d is negative", c.FinishBatch)
	}
	if c.FinishBatch == 0 {
		c.FinishBatch = DefaultFinishBatch
	}
	if c.HandlerTimeout < 0 {
		return bad("Config.HandlerTimeout %v is negative", c.HandlerTimeout)
	}
	if c.ShutdownTimeout < 0 {
		return bad("Config.ShutdownTimeout %v is negative", c.ShutdownTimeout)
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = DefaultShutdownTimeout
	}
	if c.Backoff == nil {
		c.Backoff = DefaultBackoff
	}
	if c.Retention < 0 && c.Retention != NoRetention {
		return bad("Config.Retention %v is negative; use NoRetention to keep final tasks for ever", c.Retention)
	}
	if c.Retention == 0 {
		c.Retention = DefaultRetention
	}
	if c.RetentionInterval < 0 {
		return bad("Config.RetentionInterval %v is negative", c.RetentionInterval)
	}
	if c.RetentionInterval == 0 {
		c.RetentionInterval = DefaultRetentionInterval
	}
	if c.RetentionBatch < 0 {
		return bad("Config.RetentionBatch %d is negative", c.RetentionBatch)
	}
	if c.RetentionBatch == 0 {
		c.RetentionBatch = DefaultRetentionBatch
	}
	for i, m := range c.Middleware {
		if m == nil {
			return bad("Config.Middleware[%d] is nil", i)
		}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// Back-off bounds of DefaultBackoff.
const (
	// BackoffBase is DefaultBackoff's delay after a first attempt, before
	// jitter.
	BackoffBase = time.Second
	// BackoffMax caps DefaultBackoff's delay, before jitter.
	BackoffMax = time.Hour
)

// DefaultBackoff is the default Config.Backoff: exponential, BackoffBase
// after the first attempt and doubling with each attempt up to
// BackoffMax, with full jitter in its upper half (a delay d becomes a
// random delay in [d/2, d]) so that tasks that failed together do not
// come back together.
func DefaultBackoff(attempt int) time.Duration {
	d := BackoffMax
	if attempt < 1 {
		attempt = 1
	}
	if attempt <= 30 {
		d = min(BackoffBase<<(attempt-1), BackoffMax)
	}
	return d/2 + rand.N(d/2+1)
}

// jitter returns d give or take 20%, at most the longest Duration: an
// interval of centuries (taken for "never") must neither overflow into a
// negative wait nor make rand.N panic.
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return d
	}
	lo := d - d/5
	r := rand.N(d/5*2 + 1)
	if r > math.MaxInt64-lo {
		return math.MaxInt64
	}
	return lo + r
}
