package postgres

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/internal/retryonce"
)

// Compile-time proof that Driver has the whole contract.
var (
	_ driver.Driver      = (*Driver)(nil)
	_ driver.Notifier    = (*Driver)(nil)
	_ driver.Admin       = (*Driver)(nil)
	_ driver.DueReporter = (*Driver)(nil)
	_ driver.Scheduler   = (*Driver)(nil)
)

// DefaultSchema is the schema used when Options.Schema is empty.
const DefaultSchema = "gosk"

// Defaults of the listener's reconnect back-off.
const (
	// DefaultReconnectMin is used when Options.ReconnectMin is zero.
	DefaultReconnectMin = 100 * time.Millisecond
	// DefaultReconnectMax is used when Options.ReconnectMax is zero.
	DefaultReconnectMax = 5 * time.Second
)

// Options tunes a Driver. The zero value (or a nil *Options) means every
// default.
type Options struct {
	// Schema is the PostgreSQL schema that holds gosk's tables. It is
	// created if missing. 1 to 63 bytes of ASCII letters, digits, _ and -,
	// starting with a letter or _ and not with pg_; always quoted as an
	// identifier, so case is kept. Anything else is refused at Open and
	// New with ErrInvalid before anything runs. Default DefaultSchema
	// ("gosk").
	Schema string

	// MaxConns is the pool size when Open builds the pool. Zero keeps the
	// connection string's pool_max_conns or pgxpool's default (the greater
	// of 4 and the number of CPUs). Ignored by New, which uses the caller's
	// pool as it is. Negative is invalid.
	MaxConns int32

	// Logger receives the listener's reconnects and other events that no
	// call returns. Nil means silent.
	Logger *slog.Logger

	// ReconnectMin is the first wait before the notify listener reconnects
	// after losing its connection; the wait doubles up to ReconnectMax.
	// Default DefaultReconnectMin (100ms). Negative is invalid.
	ReconnectMin time.Duration

	// ReconnectMax caps the listener's reconnect wait. Default
	// DefaultReconnectMax (5s); it must not be below ReconnectMin.
	ReconnectMax time.Duration

	// MaxPayloadLen is the longest payload Create takes, in bytes; a
	// longer one is refused with ErrInvalid before it is sent. Zero means
	// driver.DefaultMaxPayloadLen (4 MiB); at most driver.MaxPayloadLimit
	// (512 MiB; a bytea holds up to 1 GB).
	MaxPayloadLen int

	// Lazy makes Open and New return without contacting the server: the
	// schema is migrated by the first call that reaches it, and until then
	// every call fails as calls fail while the server is down (an error
	// that is not driver.ErrInvalid nor driver.ErrClosed, which package
	// worker retries with back-off). So a worker may start before its
	// database: it starts working once the server answers, without a
	// restart. Default false: Open and New migrate at once and refuse a
	// server that does not answer, which is the clearer choice when the
	// server should be up.
	Lazy bool
}

// Driver is the PostgreSQL adapter. It is safe for concurrent use by many
// goroutines and many processes sharing one database.
type Driver struct {
	pool    *pgxpool.Pool
	ownPool bool
	schema  string
	seq     string // quoted name of the task ID sequence, for ::regclass
	channel string // LISTEN/NOTIFY channel of this schema
	q       queries
	logger  *slog.Logger
	// maxPayload is Options.MaxPayloadLen with its default filled.
	maxPayload int
	closed     atomic.Bool
	lis        *listener

	// migrations migrates the schema once: at once, or for a Lazy
	// driver at its first call.
	migrations *retryonce.Once

	// betweenCreateSteps, set only by tests, runs after a create's insert
	// and before it reads the holders of taken unique keys, with the
	// backend PID of the create's connection; its error ends the create.
	betweenCreateSteps func(ctx context.Context, pid uint32) error

	// plain and keyed gather concurrent creates, without and with unique
	// keys, into shared statements.
	plain, keyed *createGroups
	// groupHook, set only by tests, runs in a group's leader before the
	// group's statement, with the group's context and number of calls.
	groupHook func(ctx context.Context, calls int)
}

// DefaultConnectTimeout bounds each connection attempt of a pool that Open
// builds, when the connection string sets no connect_timeout: a server
// that does not answer (a closed port that drops packets, a port that
// is not PostgreSQL) then fails Open within it instead of hanging.
const DefaultConnectTimeout = 10 * time.Second

// Open connects to the database named by connString (a URL or key=value
// string, as pgx takes it), migrates the schema and returns a Driver that
// owns its pool: Close closes the pool. Each connection attempt is bounded
// by the connection string's connect_timeout, or DefaultConnectTimeout
// (10s). Errors say what is wrong and where (a malformed connection
// string and why, a server at host:port that did not answer) but never
// quote the connection string, so a password in it is not printed.
func Open(ctx context.Context, connString string, opts *Options) (*Driver, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	cfg, err := pgxpool.ParseConfig(connString)
	if err != nil {
		return nil, fmt.Errorf("%w: gosk/postgres: the connection string cannot be parsed: %s (the string is not shown, as it may hold a password)",
			driver.ErrInvalid, parseReason(err, connString))
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = DefaultConnectTimeout
	}
	if o.MaxConns > 0 {
		cfg.MaxConns = o.MaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("gosk/postgres: open pool: %s", scrub(err.Error(), connString))
	}
	d, err := newDriver(ctx, pool, true, o)
	if err != nil {
		pool.Close()
		return nil, err
	}
	return d, nil
}

// parseReason returns why pgx could not parse connString, with every
// password candidate of connString masked: pgx's own text quotes the
// string, redacted only on a best-effort basis, and a URL's parse error
// quotes it whole.
func parseReason(err error, connString string) string {
	return quoted.ReplaceAllString(parseText(err, connString), `"…"`)
}

// quoted matches a Go-quoted string in an error message. pgx quotes pieces
// of the connection string in its reasons, and where a password holds a
// quote or a space those pieces may be parts of it that scrub cannot
// recognise: every quoted piece is elided.
var quoted = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// parseText is pgx's reason for refusing connString, with the string's
// passwords masked.
func parseText(err error, connString string) string {
	var pce *pgconn.ParseConfigError
	if !errors.As(err, &pce) {
		return scrub(err.Error(), connString)
	}
	text := pce.Error()
	if i := strings.Index(text, "`: "); i >= 0 {
		text = text[i+3:]
	}
	if inner := errors.Unwrap(pce); inner != nil {
		// Replace the inner error's text, which may quote the string, by
		// its cause alone.
		var ue *url.Error
		if errors.As(inner, &ue) {
			text = strings.Replace(text, inner.Error(), ue.Err.Error(), 1)
		}
	}
	return scrub(text, connString)
}

// scrub masks in s every part of connString that could be a password: the
// password of a URL's user info and the values of password= and
// sslpassword=, as written and percent-decoded.
func scrub(s, connString string) string {
	var secrets []string
	if _, rest, ok := strings.Cut(connString, "://"); ok {
		if at := strings.LastIndexByte(rest, '@'); at >= 0 {
			if _, pw, ok := strings.Cut(rest[:at], ":"); ok {
				secrets = append(secrets, pw)
			}
		}
	}
	for _, key := range []string{"password=", "sslpassword="} {
		for rest := connString; ; {
			i := strings.Index(rest, key)
			if i < 0 {
				break
			}
			rest = rest[i+len(key):]
			end := strings.IndexAny(rest, "& ")
			if end < 0 {
				end = len(rest)
			}
			secrets = append(secrets, strings.Trim(rest[:end], "'"))
		}
	}
	for _, pw := range secrets {
		if dec, err := url.PathUnescape(pw); err == nil && dec != pw {
			secrets = append(secrets, dec)
		}
	}
	for _, pw := range secrets {
		if pw != "" {
			s = strings.ReplaceAll(s, pw, "xxxxx")
		}
	}
	return s
}

// New returns a Driver over a pool the caller already has, after migrating
// the schema. Close leaves the pool open. The pool's connection settings
// are also used for the listener's dedicated connection (see the package
// doc, Notify).
func New(ctx context.Context, pool *pgxpool.Pool, opts *Options) (*Driver, error) {
	if pool == nil {
		return nil, fmt.Errorf("%w: pool is nil", driver.ErrInvalid)
	}
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	return newDriver(ctx, pool, false, o)
}

// timeoutNote says how long one connection attempt may take.
func timeoutNote(d time.Duration) string {
	if d == 0 {
		return "no connect timeout"
	}
	return fmt.Sprintf("connect timeout %v", d)
}

func (o *Options) withDefaults() (Options, error) {
	var v Options
	if o != nil {
		v = *o
	}
	if v.Schema == "" {
		v.Schema = DefaultSchema
	}
	if err := validateSchema(v.Schema); err != nil {
		return v, err
	}
	n, err := driver.PayloadLimit("gosk/postgres: Options.MaxPayloadLen", v.MaxPayloadLen)
	if err != nil {
		return v, err
	}
	v.MaxPayloadLen = n
	if v.MaxConns < 0 {
		return v, fmt.Errorf("%w: Options.MaxConns %d is negative", driver.ErrInvalid, v.MaxConns)
	}
	if v.ReconnectMin < 0 {
		return v, fmt.Errorf("%w: Options.ReconnectMin %v is negative", driver.ErrInvalid, v.ReconnectMin)
	}
	if v.ReconnectMax < 0 {
		return v, fmt.Errorf("%w: Options.ReconnectMax %v is negative", driver.ErrInvalid, v.ReconnectMax)
	}
	if v.ReconnectMin == 0 {
		v.ReconnectMin = DefaultReconnectMin
	}
	if v.ReconnectMax == 0 {
		v.ReconnectMax = max(DefaultReconnectMax, v.ReconnectMin)
	}
	if v.ReconnectMax < v.ReconnectMin {
		return v, fmt.Errorf("%w: Options.ReconnectMax %v is below Options.ReconnectMin %v", driver.ErrInvalid, v.ReconnectMax, v.ReconnectMin)
	}
	if v.Logger == nil {
		v.Logger = slog.New(slog.DiscardHandler)
	}
	return v, nil
}

// validateSchema checks a schema name: 1 to 63 bytes (PostgreSQL truncates
// longer identifiers, which would silently merge two schemas) of ASCII
// letters, digits, _ and -, starting with a letter or _, and not starting
// with pg_ (reserved by PostgreSQL). The name is also always quoted as an
// identifier; the narrow set means a name that tries SQL is refused
// before anything runs, as the other adapters refuse theirs.
func validateSchema(s string) error {
	if len(s) > 63 {
		return fmt.Errorf("%w: gosk/postgres: Options.Schema is %d bytes; PostgreSQL names hold at most 63", driver.ErrInvalid, len(s))
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || i > 0 && (c >= '0' && c <= '9' || c == '-')
		if !ok {
			return fmt.Errorf("%w: gosk/postgres: Options.Schema %q has character %q at byte %d; allowed are ASCII letters, digits, _ and -, starting with a letter or _", driver.ErrInvalid, s, c, i)
		}
	}
	if strings.HasPrefix(strings.ToLower(s), "pg_") {
		return fmt.Errorf("%w: gosk/postgres: Options.Schema %q starts with pg_, which PostgreSQL reserves for its own schemas", driver.ErrInvalid, s)
	}
	return nil
}

func newDriver(ctx context.Context, pool *pgxpool.Pool, own bool, o Options) (*Driver, error) {
	schema := pgx.Identifier{o.Schema}.Sanitize()
	d := &Driver{
		pool:    pool,
		ownPool: own,
		schema:  o.Schema,
		seq:     pgx.Identifier{o.Schema, "gosk_tasks_id_seq"}.Sanitize(),
		channel: channelName(o.Schema),
		q:       renderQueries(schema),
		logger:  o.Logger,

		maxPayload: o.MaxPayloadLen,
		migrations: retryonce.New(),
		plain:      newCreateGroups(),
		keyed:      newCreateGroups(),
	}
	d.lis = newListener(pool.Config().ConnConfig, d.channel, o)
	if o.Lazy {
		return d, nil
	}
	if err := pool.Ping(ctx); err != nil {
		cc := pool.Config().ConnConfig
		if ctx.Err() != nil {
			return nil, fmt.Errorf("gosk/postgres: connect to PostgreSQL at %s:%d: %w", cc.Host, cc.Port, ctx.Err())
		}
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) { // it answered, and refused
			return nil, fmt.Errorf("gosk/postgres: connect to PostgreSQL at %s:%d: %w", cc.Host, cc.Port, err)
		}
		return nil, fmt.Errorf("gosk/postgres: PostgreSQL at %s:%d did not answer (%s): %w", cc.Host, cc.Port, timeoutNote(cc.ConnectTimeout), err)
	}
	if err := d.migrations.Do(ctx, d.migrate); err != nil {
		return nil, err
	}
	return d, nil
}

// checkOpen is the first check of every call: a closed driver refuses
// it, whatever its input (see # Batches in package driver).
func (d *Driver) checkOpen() error {
	if d.closed.Load() {
		return errClosed
	}
	return nil
}

// begin starts every call but Subscribe with its checks in the port's
// order (see Batches in package driver's doc): a closed driver refuses
// the call whatever its input; then invalid, the validator's answer on
// the input, refuses it; then the store is readied (for a Lazy driver, the
// schema migrated by the first call; others wait for it, until their
// context is done).
func (d *Driver) begin(ctx context.Context, invalid error) error {
	return d.migrations.Begin(ctx, d.checkOpen, invalid, d.migrate)
}

// channelName is the LISTEN/NOTIFY channel of a schema: a fixed prefix and a
// hash of the name, so that it is short, needs no quoting and differs
// between schemas of one database.
func channelName(schema string) string {
	h := fnv.New64a()
	h.Write([]byte(schema))
	return fmt.Sprintf("gosk_%016x", h.Sum64())
}

// Schema returns the name of the schema the driver uses, unquoted.
func (d *Driver) Schema() string { return d.schema }

// Close stops the notify listener, ends every subscription and, if Open
// built the pool, closes it. Later calls return driver.ErrClosed. Close is
// safe to call more than once.
func (d *Driver) Close() error {
	if d.closed.Swap(true) {
		return nil
	}
	d.lis.close()
	if d.ownPool {
		d.pool.Close()
	}
	return nil
}
