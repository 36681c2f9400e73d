package postgres

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/puddle/v2"

	"github.com/gosk/gosk/driver"
)

// Compile-time proof that Driver has the whole contract.
var (
	_ driver.Driver   = (*Driver)(nil)
	_ driver.Notifier = (*Driver)(nil)
	_ driver.Admin    = (*Driver)(nil)
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
	// created if missing and always quoted as an identifier, so any name
	// of 1 to 63 bytes of UTF-8 without NUL works, case included. Default
	// DefaultSchema ("gosk").
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
	closed  atomic.Bool
	lis     *listener

	// betweenCreateSteps, set only by tests, runs after a create's insert
	// and before it reads the holders of taken unique keys, with the
	// backend PID of the create's connection; its error ends the create.
	betweenCreateSteps func(ctx context.Context, pid uint32) error
}

// Open connects to the database named by connString (a URL or key=value
// string, as pgx takes it), migrates the schema and returns a Driver that
// owns its pool: Close closes the pool. Errors never quote the connection
// string, so a password in it is not printed.
func Open(ctx context.Context, connString string, opts *Options) (*Driver, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	cfg, err := pgxpool.ParseConfig(connString)
	if err != nil {
		// pgx redacts passwords from parse errors only on a best-effort
		// basis, so its text is not passed on.
		return nil, fmt.Errorf("%w: gosk/postgres: the connection string cannot be parsed (its text is not shown, as it may hold a password)", driver.ErrInvalid)
	}
	if o.MaxConns > 0 {
		cfg.MaxConns = o.MaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("gosk/postgres: open pool: %w", err)
	}
	d, err := newDriver(ctx, pool, true, o)
	if err != nil {
		pool.Close()
		return nil, err
	}
	return d, nil
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

// validateSchema checks a schema name: PostgreSQL truncates identifiers
// longer than 63 bytes, which would silently merge two schemas, and cannot
// store NUL.
func validateSchema(s string) error {
	switch {
	case len(s) > 63:
		return fmt.Errorf("%w: Options.Schema is %d bytes; PostgreSQL names hold at most 63", driver.ErrInvalid, len(s))
	case !utf8.ValidString(s):
		return fmt.Errorf("%w: Options.Schema is not valid UTF-8", driver.ErrInvalid)
	case strings.ContainsRune(s, 0):
		return fmt.Errorf("%w: Options.Schema contains NUL", driver.ErrInvalid)
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
	}
	d.lis = newListener(pool.Config().ConnConfig, d.channel, o)
	if err := d.migrate(ctx); err != nil {
		return nil, err
	}
	return d, nil
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

// errClosed is returned by every call after Close.
var errClosed = fmt.Errorf("%w: gosk/postgres", driver.ErrClosed)

// translate is the one place where errors of pgx and PostgreSQL become the
// port's: no rows becomes driver.ErrTaskNotFound, a closed pool (or a call
// that raced Close) driver.ErrClosed, a text the database cannot hold
// driver.ErrInvalid, each wrapping the cause. Context errors and the
// port's own sentinels pass as they are.
func (d *Driver) translate(err error) error {
	var pgErr *pgconn.PgError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case isPortError(err):
		return err
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("%w: %w", driver.ErrTaskNotFound, err)
	case errors.As(err, &pgErr) && encodingCodes[pgErr.Code]:
		// The port's validators refuse every text that a UTF8 database
		// cannot hold, and Open refuses other encodings: this is a
		// defence, so that such a refusal is never a raw error that a
		// caller would retry.
		return fmt.Errorf("%w: gosk/postgres: the database cannot store the text: %w", driver.ErrInvalid, err)
	case errors.Is(err, puddle.ErrClosedPool), d.closed.Load():
		return fmt.Errorf("%w: %w", driver.ErrClosed, err)
	}
	return fmt.Errorf("gosk/postgres: %w", err)
}

// encodingCodes are the SQLSTATEs of a text the database refuses to
// store: invalid byte sequence or NUL (character_not_in_repertoire), and
// a character the database's encoding lacks (untranslatable_character).
var encodingCodes = map[string]bool{"22021": true, "22P05": true}

func isPortError(err error) bool {
	for _, s := range []error{
		driver.ErrInvalid, driver.ErrUnsupportedPriorityRule, driver.ErrClosed,
		driver.ErrTaskNotFound, driver.ErrTaskConflict, driver.ErrLeaseLost, driver.ErrDuplicate,
	} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// micros converts a duration to the microseconds the queries take,
// rounding up so that a positive duration never becomes zero.
func micros(d time.Duration) int64 {
	us := d / time.Microsecond
	if d%time.Microsecond != 0 {
		us++
	}
	return int64(us)
}
