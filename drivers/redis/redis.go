package redis

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	neturl "net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/internal/retryonce"
	"github.com/gosk/gosk/internal/storeunit"
)

// Compile-time checks that the driver offers the port and every capability.
var (
	_ driver.Driver   = (*Driver)(nil)
	_ driver.Notifier = (*Driver)(nil)
	_ driver.Admin    = (*Driver)(nil)
	_ driver.Creator  = (*TxCreator)(nil)
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
	// go-redis has one logger per process: see # Logging in the package
	// doc. Nil means silent.
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
	subsMu  sync.Mutex
	subs    sync.WaitGroup
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

// use comes after a call's input is checked, before it reaches the store
// (see Batches in package driver's doc): it refuses a closed driver and,
// for a Lazy one, migrates the key layout if no call has yet. Calls wait
// for a migration in progress, until their context is done.
func (d *Driver) use(ctx context.Context) error {
	if err := d.checkOpen(); err != nil {
		return err
	}
	return d.migrations.Do(ctx, d.migrate)
}

// DefaultDialTimeout bounds each connection attempt of a client that Open
// builds, when the URL sets no dial_timeout.
const DefaultDialTimeout = 5 * time.Second

// Open connects to the Redis server at url (redis://, rediss:// or
// unix://, as go-redis's ParseURL reads them) and returns a driver on that
// connection, which Close closes. Each connection attempt is bounded by
// the URL's dial_timeout, or DefaultDialTimeout (5s). Errors say what is
// wrong and where (a malformed URL and why, a server at host:port that did
// not answer) but never quote the URL, so a password in it is not printed.
// Unless the URL sets max_retries, the client does not resend a command
// whose connection broke (go-redis's default is to resend it up to 3
// times): the server may have run it already, and a resent script would
// store a create twice or report a stored outcome as ErrTaskConflict. The
// error goes to the caller, which retries knowing that (package worker
// does). With Options.Lazy, Open does not contact the server.
func Open(ctx context.Context, url string, opts *Options) (*Driver, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	ro, err := goredis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("%w: gosk/redis: the URL cannot be parsed: %s (the URL is not shown, as it may hold a password)", driver.ErrInvalid, urlReason(err))
	}
	lines.install() // before the first dial, whose failure go-redis logs
	if ro.DialTimeout == 0 {
		ro.DialTimeout = DefaultDialTimeout
	}
	if ro.MaxRetries == 0 {
		// go-redis would resend a script whose connection broke after the
		// server ran it: a create stored twice, an outcome answered
		// ErrTaskConflict as if another call had stored it. gosk's callers
		// retry themselves, knowing a call may have applied.
		ro.MaxRetries = -1
	}
	client := goredis.NewClient(ro)
	if err := client.Ping(ctx).Err(); err != nil && !o.Lazy {
		_ = client.Close()
		addr, hidden := where(ro, url)
		if ctx.Err() != nil {
			return nil, fmt.Errorf("gosk/redis: connect to Redis at %s: %w", addr, ctx.Err())
		}
		var rerr goredis.Error
		if errors.As(err, &rerr) { // it answered, and refused (auth, database number)
			return nil, fmt.Errorf("gosk/redis: connect to Redis at %s: %s", addr, dialText(err, ro, hidden))
		}
		return nil, fmt.Errorf("gosk/redis: Redis at %s did not answer (dial timeout %v): %s", addr, ro.DialTimeout, dialText(err, ro, hidden))
	}
	d, err := New(ctx, client, opts)
	if err != nil {
		_ = client.Close()
		return nil, err
	}
	d.ownsClient = true
	return d, nil
}

// quoted matches a Go-quoted string in an error message.
var quoted = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// urlReason says why ParseURL refused a URL without quoting any of it: a
// password with an unescaped '#', '/' or '?' in it ends the URL's host
// early, and the parsers then quote a piece of the password as a port, a
// path or an option. net/url's *url.Error quotes the whole URL; its cause
// is kept with what it quotes elided. go-redis's errors are kept up to the
// text they quote, after their second colon.
func urlReason(err error) string {
	var uerr *neturl.Error
	if errors.As(err, &uerr) {
		return quoted.ReplaceAllString(uerr.Err.Error(), `"…"`)
	}
	msg := err.Error()
	if i := strings.Index(msg, ": "); i >= 0 {
		if j := strings.Index(msg[i+2:], ": "); j >= 0 {
			msg = msg[:i+2+j]
		}
	}
	return quoted.ReplaceAllString(msg, `"…"`)
}

// where names the server of ro for an error: its host:port, unless that
// could hold part of a password. That is the path of a Unix socket (the
// rest of a unix:// URL), and the host of a URL that has an '@' but no user
// info: a password with an unescaped '#', '/' or '?' ends the URL's
// authority early, and the parsers then take a piece of it as the host.
func where(ro *goredis.Options, rawURL string) (name string, hidden bool) {
	if ro.Network == "unix" {
		return "the Unix socket that the URL names", true
	}
	if strings.Contains(rawURL, "@") {
		if u, err := neturl.Parse(rawURL); err != nil || u.User == nil {
			return "the address that the URL names (not shown: the URL's user info did not parse)", true
		}
	}
	return ro.Addr, false
}

// dialText is a connection error's text with the password masked, and the
// address too where where hides it.
func dialText(err error, ro *goredis.Options, hidden bool) string {
	text := scrub(err.Error(), ro.Password)
	if hidden {
		text = scrub(text, ro.Addr)
		if host, _, splitErr := net.SplitHostPort(ro.Addr); splitErr == nil {
			text = scrub(text, host)
		}
	}
	return text
}

// scrub masks secret in s.
func scrub(s, secret string) string {
	if secret == "" {
		return s
	}
	return strings.ReplaceAll(s, secret, "xxxxx")
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
	d.subsMu.Lock()
	if d.closed.Swap(true) {
		d.subsMu.Unlock()
		return nil
	}
	close(d.closing)
	d.subsMu.Unlock()
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

// call is one script call of a batch.
type call struct {
	script *goredis.Script
	keys   []string
	args   []any
}

// run runs calls and returns their replies in order. One call runs by SHA
// with EVAL as a fallback; several go in one pipeline (see evalEach). The
// first call that failed fails the whole; a caller for which some calls
// may apply while others fail uses evalEach.
func (d *Driver) run(ctx context.Context, calls []call) ([]any, error) {
	if err := d.use(ctx); err != nil {
		return nil, err
	}
	out := make([]any, len(calls))
	if len(calls) == 1 {
		c := calls[0]
		v, err := c.script.Run(ctx, d.client, c.keys, c.args...).Result()
		if err != nil {
			return nil, translate(err)
		}
		out[0] = v
		return out, nil
	}
	for i, cmd := range d.evalEach(ctx, calls, false) {
		v, err := cmd.Result()
		if err != nil {
			return nil, translate(err)
		}
		out[i] = v
	}
	return out, nil
}

// evalEach sends calls in one pipeline, inside MULTI/EXEC if tx, and
// returns their commands, each holding its own reply or error. Without
// tx (on a cluster, one pipeline per node) calls go by SHA, and any that
// met an empty script cache are sent again with EVAL, which is safe
// because a NOSCRIPT call did nothing. With tx they send the scripts'
// source (EVAL): inside MULTI a missing script would fail at EXEC with no
// way to fall back. Redis does not roll a transaction back, so with tx
// too each call has its own outcome.
func (d *Driver) evalEach(ctx context.Context, calls []call, tx bool) []*goredis.Cmd {
	cmds := make([]*goredis.Cmd, len(calls))
	if tx {
		_, _ = d.client.TxPipelined(ctx, func(tx goredis.Pipeliner) error {
			for i, c := range calls {
				cmds[i] = c.script.Eval(ctx, tx, c.keys, c.args...)
			}
			return nil
		})
		return cmds
	}
	pipe := d.client.Pipeline()
	for i, c := range calls {
		cmds[i] = c.script.EvalSha(ctx, pipe, c.keys, c.args...)
	}
	_, _ = pipe.Exec(ctx)
	var again []int
	for i, cmd := range cmds {
		if errorCode(cmd.Err()) == codeNoScript {
			again = append(again, i)
		}
	}
	if len(again) > 0 {
		pipe := d.client.Pipeline()
		for _, i := range again {
			c := calls[i]
			cmds[i] = c.script.Eval(ctx, pipe, c.keys, c.args...)
		}
		_, _ = pipe.Exec(ctx)
	}
	return cmds
}

// group splits n items by the slot that holds them, keeping the items'
// order within each slot; slots come in order of first appearance.
func group(n int, slot func(i int) int) (slots []int, items map[int][]int) {
	items = make(map[int][]int)
	for i := range n {
		s := slot(i)
		if _, ok := items[s]; !ok {
			slots = append(slots, s)
		}
		items[s] = append(items[s], i)
	}
	return slots, items
}

// Create stores tasks. Tasks of one queue (one hash slot) are stored by one
// script call, atomically. A batch spanning several slots is one
// MULTI/EXEC transaction on a single server; on a cluster, where a
// transaction cannot span slots, it is one pipeline. Either way each
// slot's call applies or fails on its own (Redis does not roll back a
// transaction): if some fail and others apply, the call returns no error
// and each task of a failed slot has that failure as its result's Err
// (see # Caveats in the package doc). The call's own error means that no
// slot's call applied.
func (d *Driver) Create(ctx context.Context, tasks []driver.NewTask) ([]driver.CreateResult, error) {
	if err := d.checkOpen(); err != nil {
		return nil, err
	}
	if err := driver.ValidateNewTasksMax(tasks, d.maxPayload); err != nil {
		return nil, err
	}
	if err := d.use(ctx); err != nil {
		return nil, err
	}
	if len(tasks) == 0 {
		return []driver.CreateResult{}, nil
	}
	slots, items := group(len(tasks), func(i int) int { return d.keys.queueSlot(tasks[i].Queue) })
	calls := make([]call, len(slots))
	for j, s := range slots {
		calls[j] = d.createCall(s, 0, tasks, items[s])
	}
	out := make([]driver.CreateResult, len(tasks))
	if len(calls) == 1 {
		replies, err := d.run(ctx, calls)
		if err != nil {
			return nil, err
		}
		if err := parseCreate(replies[0], items[slots[0]], out); err != nil {
			return nil, err
		}
		return out, nil
	}
	_, cluster := d.client.(*goredis.ClusterClient)
	var first error // of the first slot that failed
	applied := 0
	for j, cmd := range d.evalEach(ctx, calls, !cluster) {
		s := slots[j]
		v, err := cmd.Result()
		if err != nil {
			err = translate(err)
			if first == nil {
				first = err
			}
			for _, i := range items[s] {
				out[i] = driver.CreateResult{Err: fmt.Errorf("queue %q not stored: %w", tasks[i].Queue, err)}
			}
			continue
		}
		applied++
		if err := parseCreate(v, items[s], out); err != nil {
			// The slot's call applied but its reply cannot be read.
			for _, i := range items[s] {
				out[i] = driver.CreateResult{Err: fmt.Errorf("queue %q: %w", tasks[i].Queue, err)}
			}
		}
	}
	if applied == 0 {
		return nil, first
	}
	return out, nil
}

// createCall builds the create script call for the tasks at idx, all in
// slot; seq is the first sequence number to use, or 0 to allocate in the
// script.
func (d *Driver) createCall(slot int, seq int64, tasks []driver.NewTask, idx []int) call {
	args := make([]any, 0, 3+6*len(idx))
	args = append(args, slot, seq, len(idx))
	for _, i := range idx {
		t := tasks[i]
		args = append(args, t.Queue, t.Payload, t.Priority, storeunit.Micros(t.Delay), t.MaxAttempts, t.UniqueKey)
	}
	return call{script: d.s.create, keys: []string{d.keys.base(slot)}, args: args}
}

func parseCreate(reply any, idx []int, out []driver.CreateResult) error {
	v, ok := reply.([]any)
	if !ok || len(v) != 2*len(idx) {
		return fmt.Errorf("gosk/redis: create script replied %T of %d items for %d tasks", reply, len(v), len(idx))
	}
	for k, i := range idx {
		id, err := parseID(v[2*k])
		if err != nil {
			return err
		}
		code, _ := v[2*k+1].(int64)
		out[i] = driver.CreateResult{ID: id, Err: itemError(code)}
	}
	return nil
}

func parseID(v any) (int64, error) {
	s, ok := v.(string)
	if !ok {
		return 0, fmt.Errorf("gosk/redis: script replied %T for a task ID", v)
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("gosk/redis: bad task ID %q from script: %w", s, err)
	}
	return id, nil
}

// Claim leases up to p.Limit available tasks of p.Queue in one script call.
// Expired leases come first; see the package doc for how each rule is
// served by a sorted set.
func (d *Driver) Claim(ctx context.Context, p driver.ClaimParams) ([]driver.ClaimedTask, error) {
	if err := d.checkOpen(); err != nil {
		return nil, err
	}
	p, err := driver.ValidateClaim(p)
	if err != nil {
		return nil, err
	}
	if err := d.use(ctx); err != nil {
		return nil, err
	}
	lease := storeunit.Micros(p.Lease)
	slot := d.keys.queueSlot(p.Queue)
	replies, err := d.run(ctx, []call{{
		script: d.s.claim,
		keys:   []string{d.keys.base(slot)},
		args:   []any{p.Queue, p.Limit, p.Rule.String(), lease, storeunit.Micros(d.retention), driver.LeaseExpiredMessage},
	}})
	if err != nil {
		return nil, err
	}
	recs, ok := replies[0].([]any)
	if !ok {
		return nil, fmt.Errorf("gosk/redis: claim script replied %T", replies[0])
	}
	out := make([]driver.ClaimedTask, 0, len(recs))
	for _, r := range recs {
		rec, token, err := parseRecord(r)
		if err != nil {
			return nil, err
		}
		out = append(out, driver.ClaimedTask{Task: rec, Lease: driver.Lease{TaskID: rec.ID, Token: token}})
	}
	return out, nil
}

// Ping extends leases, one script call per slot, all in one pipeline.
func (d *Driver) Ping(ctx context.Context, leases []driver.Lease, extend time.Duration) ([]error, error) {
	if err := d.checkOpen(); err != nil {
		return nil, err
	}
	if err := driver.ValidatePing(leases, extend); err != nil {
		return nil, err
	}
	if err := d.use(ctx); err != nil {
		return nil, err
	}
	ext := storeunit.Micros(extend)
	return d.perItem(ctx, len(leases), func(i int) int64 { return leases[i].TaskID },
		func(slot int, idx []int) call {
			args := make([]any, 0, 1+2*len(idx))
			args = append(args, ext)
			for _, i := range idx {
				args = append(args, idString(leases[i].TaskID), leases[i].Token)
			}
			return call{script: d.s.ping, keys: []string{d.keys.base(slot)}, args: args}
		})
}

// Finish applies outcomes, one script call per slot, all in one pipeline.
func (d *Driver) Finish(ctx context.Context, outcomes []driver.Outcome) ([]error, error) {
	if err := d.checkOpen(); err != nil {
		return nil, err
	}
	if err := driver.ValidateOutcomes(outcomes); err != nil {
		return nil, err
	}
	if err := d.use(ctx); err != nil {
		return nil, err
	}
	return d.perItem(ctx, len(outcomes), func(i int) int64 { return outcomes[i].Lease.TaskID },
		func(slot int, idx []int) call {
			args := make([]any, 0, 1+6*len(idx))
			args = append(args, storeunit.Micros(d.retention))
			for _, i := range idx {
				o := outcomes[i]
				keep := 0
				if o.KeepAttempt {
					keep = 1
				}
				args = append(args, idString(o.Lease.TaskID), o.Lease.Token, o.Kind.String(), o.Message, storeunit.Micros(o.Delay), keep)
			}
			return call{script: d.s.finish, keys: []string{d.keys.base(slot)}, args: args}
		})
}

// perItem runs one script call per slot over n items named by task ID and
// lines the per-item codes up with the input.
func (d *Driver) perItem(ctx context.Context, n int, id func(i int) int64, build func(slot int, idx []int) call) ([]error, error) {
	if n == 0 {
		return []error{}, nil
	}
	slots, items := group(n, func(i int) int { return idSlot(id(i)) })
	calls := make([]call, len(slots))
	for j, s := range slots {
		calls[j] = build(s, items[s])
	}
	replies, err := d.run(ctx, calls)
	if err != nil {
		return nil, err
	}
	out := make([]error, n)
	for j, s := range slots {
		codes, ok := replies[j].([]any)
		if !ok || len(codes) != len(items[s]) {
			return nil, fmt.Errorf("gosk/redis: script replied %T for %d items", replies[j], len(items[s]))
		}
		for k, i := range items[s] {
			code, _ := codes[k].(int64)
			out[i] = taskError(id(i), code)
		}
	}
	return out, nil
}

// recordFields are the task hash fields in the order scripts and Get read
// them (FIELDS in lua/common.lua).
var recordFields = []string{"q", "p", "pr", "uk", "s", "a", "ma", "e", "c", "r", "l", "f", "tok"}

// Get reads a task's hash with one HMGET.
func (d *Driver) Get(ctx context.Context, id int64) (driver.TaskRecord, error) {
	if err := d.checkOpen(); err != nil {
		return driver.TaskRecord{}, err
	}
	if err := driver.ValidateID(id); err != nil {
		return driver.TaskRecord{}, err
	}
	if err := d.use(ctx); err != nil {
		return driver.TaskRecord{}, err
	}
	vals, err := d.client.HMGet(ctx, d.keys.task(id), recordFields...).Result()
	if err != nil {
		return driver.TaskRecord{}, translate(err)
	}
	if vals[0] == nil {
		return driver.TaskRecord{}, fmt.Errorf("%w: task %d", driver.ErrTaskNotFound, id)
	}
	rec, _, err := parseRecord(append([]any{idString(id)}, vals...))
	return rec, err
}

// parseRecord reads a record reply: the ID, then recordFields in order.
func parseRecord(reply any) (driver.TaskRecord, int64, error) {
	v, ok := reply.([]any)
	if !ok || len(v) != 1+len(recordFields) {
		return driver.TaskRecord{}, 0, fmt.Errorf("gosk/redis: bad task record reply %T", reply)
	}
	id, err := parseID(v[0])
	if err != nil {
		return driver.TaskRecord{}, 0, err
	}
	str := func(i int) string { s, _ := v[1+i].(string); return s }
	num := func(i int) int64 { n, _ := strconv.ParseInt(str(i), 10, 64); return n }
	at := func(i int) time.Time {
		if n := num(i); n != 0 {
			return time.UnixMicro(n)
		}
		return time.Time{}
	}
	if str(0) == "" {
		return driver.TaskRecord{}, 0, fmt.Errorf("%w: task %d", driver.ErrTaskNotFound, id)
	}
	rec := driver.TaskRecord{
		ID:             id,
		Queue:          str(0),
		Payload:        []byte(str(1)),
		Priority:       int(num(2)),
		UniqueKey:      str(3),
		State:          driver.State(str(4)),
		Attempt:        int(num(5)),
		MaxAttempts:    int(num(6)),
		LastError:      str(7),
		CreatedAt:      at(8),
		RunAt:          at(9),
		LeaseExpiresAt: at(10),
		FinalizedAt:    at(11),
	}
	return rec, num(12), nil
}
