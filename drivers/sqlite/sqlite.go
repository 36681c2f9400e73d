package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	sqlite3 "modernc.org/sqlite/lib"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/internal/wakeup"
)

// Errors of opening a database, tested with errors.Is.
var (
	// ErrNotGosk means the database holds tables under the driver's names
	// that gosk did not make, or is not an SQLite database at all. Nothing
	// was changed.
	ErrNotGosk = errors.New("gosk/sqlite: not a gosk database")

	// ErrSchemaTooNew means the database was migrated by a newer gosk than
	// this one. Nothing was changed; upgrade the program.
	ErrSchemaTooNew = errors.New("gosk/sqlite: database schema is newer than this gosk")
)

// Sync is how hard SQLite pushes each commit to disk; see Options.Sync.
type Sync string

// The sync levels. See SQLite's PRAGMA synchronous.
const (
	// SyncFull syncs the write-ahead log at every commit: a commit that
	// returned survives a power cut.
	SyncFull Sync = "FULL"
	// SyncNormal syncs only at checkpoints: a commit survives a crash of
	// the process, but the last commits may be lost in a power cut. The
	// file is never corrupted either way.
	SyncNormal Sync = "NORMAL"
)

// Defaults of Options.
const (
	// DefaultTablePrefix is the default Options.TablePrefix.
	DefaultTablePrefix = "gosk_"
	// DefaultBusyTimeout is the default Options.BusyTimeout.
	DefaultBusyTimeout = 10 * time.Second
	// DefaultWatchInterval is the default Options.WatchInterval.
	DefaultWatchInterval = 100 * time.Millisecond
)

// Options configures a Driver. A nil *Options, or any zero field, means
// the default stated on the field.
type Options struct {
	// TablePrefix starts the name of every table and index the driver
	// makes, so that several gosk stores, or gosk and an application, can
	// share one file. It must be 1 to 32 ASCII letters, digits or
	// underscores, not starting with a digit. Default: "gosk_".
	TablePrefix string

	// Clock returns the current time, for run-at, lease expiry and
	// timestamps. Default: time.Now.
	Clock func() time.Time

	// BusyTimeout is how long a write waits for another process (or a
	// transaction of the caller's) to release the file's write lock before
	// it fails. Open only: with New, set busy_timeout on the caller's
	// handle. Default: 10s.
	BusyTimeout time.Duration

	// Sync is how hard each commit is pushed to disk. Open only.
	// Default: SyncFull.
	Sync Sync

	// WatchInterval is how often, while the driver has subscribers (see
	// Subscribe), it checks whether another process, another handle or
	// the caller's own transactions committed to the file, and if so
	// wakes every subscriber. Negative turns the check off: workers then
	// find such tasks at their poll interval. Default: 100ms.
	WatchInterval time.Duration

	// MaxPayloadLen is the longest payload Create takes, in bytes; a
	// longer one is refused with ErrInvalid before the file is touched.
	// Zero means driver.DefaultMaxPayloadLen (4 MiB); at most
	// driver.MaxPayloadLimit (512 MiB, within SQLite's default
	// SQLITE_MAX_LENGTH of 1e9 bytes per row).
	MaxPayloadLen int
}

// Driver is a gosk driver on an SQLite database. Create one with Open or
// New; it is safe for concurrent use.
type Driver struct {
	db     *sql.DB
	ownDB  bool // Close closes db
	memory bool // an in-memory database: one connection
	clock  func() time.Time
	q      *queries
	// maxPayload is Options.MaxPayloadLen with its default filled.
	maxPayload int

	// writer serialises this process's write transactions: a token is
	// taken before BEGIN IMMEDIATE and given back after COMMIT, so the
	// goroutines of one process queue here, honouring their contexts,
	// instead of inside SQLite's busy handler.
	writer chan struct{}
	// keep says whether the writer keeps its connection (and its prepared
	// statements) between transactions; w is that connection, or nil
	// until the first write. Both are guarded by the writer token.
	keep bool
	w    *writeConn
	// pending holds the write calls waiting to be run by the next group;
	// see write.
	pmu     sync.Mutex
	pending []*writeReq
	// gatherFor is, while a leader waits for its group to fill (see
	// lead), the number of queued requests that fills it, and 0
	// otherwise; the request that fills the group sends on gathered and
	// sets it to 0. Both guarded by pmu; gathered is buffered.
	gatherFor int
	gathered  chan struct{}
	// writers is how many requests there were when the last group
	// committed (its own and those queued meanwhile), and lastCommit how
	// long its COMMIT took; see lead. Guarded by the writer token.
	writers    int
	lastCommit time.Duration
	// gatherMax is maxGather; tests change it.
	gatherMax time.Duration

	closed atomic.Bool
	hub    wakeup.Hub

	// Set only by tests: afterCreateInsert runs once a create's tasks are
	// written and before they commit, and beforeGroupCommit before a
	// group's COMMIT; an error of either ends that create or that group.
	// beforeBegin runs before a group's BEGIN, given the group's context.
	afterCreateInsert func(tasks []driver.NewTask) error
	beforeGroupCommit func() error
	beforeBegin       func(ctx context.Context)
}

var (
	_ driver.Driver      = (*Driver)(nil)
	_ driver.Notifier    = (*Driver)(nil)
	_ driver.Admin       = (*Driver)(nil)
	_ driver.DueReporter = (*Driver)(nil)
	_ driver.Creator     = (*txCreator)(nil)
	_ driver.Scheduler   = (*Driver)(nil)
)

var prefixPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,31}$`)

// options returns opts with defaults filled, or an error naming the field.
func (opts *Options) withDefaults() (Options, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.TablePrefix == "" {
		o.TablePrefix = DefaultTablePrefix
	}
	if n := len(o.TablePrefix); n > 32 {
		// Said by its length, as the other adapters say a long name,
		// rather than quoted whole into the error.
		return o, fmt.Errorf("%w: gosk/sqlite: Options.TablePrefix is %d bytes, longer than 32", driver.ErrInvalid, n)
	}
	if !prefixPattern.MatchString(o.TablePrefix) {
		return o, fmt.Errorf("%w: gosk/sqlite: Options.TablePrefix %q: want 1 to 32 ASCII letters, digits or underscores, not starting with a digit", driver.ErrInvalid, o.TablePrefix)
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	n, err := driver.PayloadLimit("gosk/sqlite: Options.MaxPayloadLen", o.MaxPayloadLen)
	if err != nil {
		return o, err
	}
	o.MaxPayloadLen = n
	if o.BusyTimeout < 0 {
		return o, fmt.Errorf("%w: gosk/sqlite: Options.BusyTimeout %v is negative", driver.ErrInvalid, o.BusyTimeout)
	}
	if o.BusyTimeout == 0 {
		o.BusyTimeout = DefaultBusyTimeout
	}
	if o.WatchInterval == 0 {
		o.WatchInterval = DefaultWatchInterval
	}
	switch o.Sync {
	case "":
		o.Sync = SyncFull
	case SyncFull, SyncNormal:
	default:
		return o, fmt.Errorf("%w: gosk/sqlite: Options.Sync %q: want SyncFull or SyncNormal", driver.ErrInvalid, o.Sync)
	}
	return o, nil
}

// Open opens (creating it if needed) the SQLite database at dsn and
// migrates it. dsn is a file path, ":memory:", or a DSN that
// modernc.org/sqlite understands ("file:/path/tasks.db?mode=rwc", or a path
// followed by ?_pragma=... parameters). Open adds WAL journaling, the busy
// timeout and the sync level unless the DSN sets them itself. Close closes
// the database.
func Open(ctx context.Context, dsn string, opts *Options) (*Driver, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if dsn == "" {
		return nil, fmt.Errorf("%w: gosk/sqlite: Open: the DSN is empty; give a file path or \":memory:\"", driver.ErrInvalid)
	}
	memory := isMemoryDSN(dsn)
	path := dsnPath(dsn)
	if !memory {
		if dir := filepath.Dir(path); dir != "" {
			if _, err := os.Stat(dir); err != nil {
				return nil, fmt.Errorf("gosk/sqlite: open %s: the directory %s cannot be used: %w", path, dir, unwrapPath(err))
			}
		}
	}
	db, err := sql.Open("sqlite", withParams(dsn, o, memory))
	if err != nil {
		return nil, fmt.Errorf("gosk/sqlite: open %s: %w", dsn, err)
	}
	if memory {
		// Every connection to ":memory:" is a database of its own.
		db.SetMaxOpenConns(1)
	}
	d, err := newDriver(ctx, db, o, memory)
	if err != nil {
		db.Close()
		if !memory && isCode(err, sqlite3.SQLITE_CANTOPEN) {
			return nil, fmt.Errorf("gosk/sqlite: open %s: the file cannot be opened or created (check that it is a database and that the process may write it and its directory): %w", path, cause(err))
		}
		return nil, err
	}
	d.ownDB = true
	return d, nil
}

// New returns a driver on a database handle the caller opened with
// modernc.org/sqlite (driver name "sqlite"), and migrates it. The handle
// must have a busy timeout set (for example ?_pragma=busy_timeout(10000)),
// and a database in a file must be in WAL mode (?_pragma=journal_mode(WAL));
// New checks both on one connection and refuses the handle otherwise. An
// in-memory database must be limited to one connection
// (db.SetMaxOpenConns(1)). Writes by the caller's own code may take the
// write lock between the driver's transactions; the driver waits for it up
// to the busy timeout. Close leaves the handle open.
func New(ctx context.Context, db *sql.DB, opts *Options) (*Driver, error) {
	if db == nil {
		return nil, errors.New("gosk/sqlite: New: the *sql.DB is nil")
	}
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	var file, journal string
	var busy int64
	if err := db.QueryRowContext(ctx, "SELECT file FROM pragma_database_list WHERE name = 'main'").Scan(&file); err != nil {
		return nil, openError(err)
	}
	memory := file == ""
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&journal); err != nil {
		return nil, openError(err)
	}
	if err := db.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&busy); err != nil {
		return nil, openError(err)
	}
	switch {
	case memory && db.Stats().MaxOpenConnections != 1:
		return nil, errors.New("gosk/sqlite: New: an in-memory database needs db.SetMaxOpenConns(1): each connection would see a database of its own")
	case !memory && !strings.EqualFold(journal, "wal"):
		return nil, fmt.Errorf("gosk/sqlite: New: journal_mode is %q, want WAL: open the handle with ?_pragma=journal_mode(WAL)", journal)
	case !memory && busy <= 0:
		return nil, errors.New("gosk/sqlite: New: busy_timeout is 0: open the handle with ?_pragma=busy_timeout(10000) so that writers wait for each other")
	}
	return newDriver(ctx, db, o, memory)
}

func newDriver(ctx context.Context, db *sql.DB, o Options, memory bool) (*Driver, error) {
	q, err := loadQueries(o.TablePrefix)
	if err != nil {
		return nil, err
	}
	d := &Driver{
		db:     db,
		memory: memory,
		clock:  o.Clock,

		maxPayload: o.MaxPayloadLen,
		q:          q,
		writer:     make(chan struct{}, 1),
		gathered:   make(chan struct{}, 1),
		gatherMax:  maxGather,
		// An in-memory database has one connection, which readers and the
		// caller's transactions need too; so may a caller's small pool.
		keep: !memory && db.Stats().MaxOpenConnections != 1,
	}
	// The watch runs on the writer's connection, between its
	// transactions; without a kept writer (one connection in all) there is
	// nobody else to watch for.
	if o.WatchInterval > 0 && d.keep {
		d.hub.Watch = func(ctx context.Context) func() { return d.startWatch(ctx, o.WatchInterval) }
	}
	if err := d.migrate(ctx, o.TablePrefix); err != nil {
		return nil, err
	}
	return d, nil
}

// DB returns the database handle, for the caller's own transactions (see
// Tx) and queries.
func (d *Driver) DB() *sql.DB { return d.db }

// Close stops every subscription and, if Open made the handle, closes it.
// Later calls return driver.ErrClosed. It is safe to call more than once.
func (d *Driver) Close() error {
	if d.closed.Swap(true) {
		return nil
	}
	d.hub.Close()
	// Wait for the write in flight, if any, and give back the writer's
	// connection. Writes that come later see the closed flag.
	d.writer <- struct{}{}
	if d.w != nil {
		d.w.close()
		d.w = nil
	}
	<-d.writer
	if d.ownDB {
		// sql.DB.Close waits for the calls in flight to give their
		// connections back.
		return d.db.Close()
	}
	return nil
}

// cause returns what err wraps, or err: the driver's own prefix off.
func cause(err error) error {
	if u := errors.Unwrap(err); u != nil {
		return u
	}
	return err
}

// dsnPath returns the file path of a DSN: without "file:" and the query.
func dsnPath(dsn string) string {
	name, _, _ := strings.Cut(dsn, "?")
	return strings.TrimPrefix(name, "file:")
}

// unwrapPath returns the cause of an *fs.PathError, whose text would
// repeat the path.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func isMemoryDSN(dsn string) bool {
	name, query, _ := strings.Cut(dsn, "?")
	return name == ":memory:" || name == "file::memory:" || strings.Contains(query, "mode=memory")
}

// withParams adds the driver's connection settings to dsn, leaving any that
// the DSN sets itself.
func withParams(dsn string, o Options, memory bool) string {
	_, query, _ := strings.Cut(dsn, "?")
	lower := strings.ToLower(query)
	var add []string
	has := func(s string) bool { return strings.Contains(lower, s) }
	if !has("busy_timeout") && !has("_timeout") {
		add = append(add, "_pragma=busy_timeout("+strconv.FormatInt(o.BusyTimeout.Milliseconds(), 10)+")")
	}
	if !memory && !has("journal_mode") && !has("_journal") {
		add = append(add, "_pragma=journal_mode(WAL)")
	}
	if !has("synchronous") && !has("_sync") {
		add = append(add, "_pragma=synchronous("+string(o.Sync)+")")
	}
	if len(add) == 0 {
		return dsn
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + strings.Join(add, "&")
}

// check starts a call: it checks, in the port's order, that the driver is
// open, then the call's input (invalid is the input's validation error, or
// nil), then ctx.
func (d *Driver) check(ctx context.Context, invalid error) error {
	if d.closed.Load() {
		return driver.ErrClosed
	}
	if invalid != nil {
		return invalid
	}
	return ctx.Err()
}
