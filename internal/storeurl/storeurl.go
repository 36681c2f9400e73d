// Package storeurl opens a gosk driver from one URL, for the gosk command
// and the tools built on it (a dashboard). The URL names the store and
// carries the adapter's options as query parameters:
//
//	sqlite:///path/to/file.db?table_prefix=gosk_&busy_timeout=10s&sync=normal
//	sqlite:relative/file.db
//	bbolt:///path/to/file.bolt?bucket=gosk&lock_timeout=1s&commit=grouped
//	postgres://user:pass@host:5432/db?sslmode=disable&schema=gosk
//	redis://:pass@host:6379/0?prefix=gosk:
//	memory:
//
// Every adapter takes max_payload_len. SQLite also takes watch_interval,
// and passes each parameter that starts with an underscore (_pragma,
// _txlock) to modernc.org/sqlite. bbolt takes file_mode (octal). PostgreSQL
// takes schema, max_conns, lazy, reconnect_min and reconnect_max and
// passes every other parameter to pgx (sslmode, connect_timeout,
// pool_max_conns, ...). Redis takes prefix, retention and lazy and passes
// every other parameter to go-redis (dial_timeout, max_retries, ...); its
// schemes are redis and rediss. Any other parameter is refused with
// driver.ErrInvalid, naming it.
//
// Errors and [Redact] never show a password: not the one in the URL's user
// info, nor the value of a password or sslpassword parameter.
package storeurl

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/gosk/gosk/driver"
)

// The kinds of store a URL names.
const (
	KindSQLite   = "sqlite"
	KindBbolt    = "bbolt"
	KindPostgres = "postgres"
	KindRedis    = "redis"
	KindMemory   = "memory"
)

// Store is a driver opened from a URL.
type Store struct {
	// Driver is the open driver; Close it when done.
	Driver driver.Driver
	// Kind is the adapter: KindSQLite, KindBbolt, KindPostgres, KindRedis
	// or KindMemory.
	Kind string
	// SchemaVersion is the version of the schema or key layout that
	// opening the driver migrated the store to (zero for memory).
	SchemaVersion int
	// URL is the URL with its passwords masked, fit to print.
	URL string
}

// Close closes the driver.
func (s *Store) Close() error { return s.Driver.Close() }

// Durable reports whether the store outlives the process (every kind but
// memory).
func (s *Store) Durable() bool { return s.Kind != KindMemory }

// Open opens the driver that rawURL names, migrating its store. Errors
// wrap driver.ErrInvalid for a URL that is malformed or names an unknown
// scheme or parameter, and never quote a password.
func Open(ctx context.Context, rawURL string) (*Store, error) {
	kind, err := Kind(rawURL)
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, invalid("the URL %s cannot be parsed", Redact(rawURL))
	}
	p := &params{kind: kind, q: u.Query()}
	s := &Store{Kind: kind, URL: Redact(rawURL)}
	switch kind {
	case KindSQLite:
		s.Driver, s.SchemaVersion, err = openSQLite(ctx, u, p)
	case KindBbolt:
		s.Driver, s.SchemaVersion, err = openBbolt(ctx, u, p)
	case KindPostgres:
		s.Driver, s.SchemaVersion, err = openPostgres(ctx, u, p)
	case KindRedis:
		s.Driver, s.SchemaVersion, err = openRedis(ctx, u, p)
	case KindMemory:
		s.Driver, err = openMemory(u, p)
	}
	if err != nil {
		return nil, &scrubbed{msg: Scrub(err.Error(), rawURL), err: err}
	}
	return s, nil
}

// Kind returns the kind of store rawURL names, from its scheme, or an
// error wrapping driver.ErrInvalid.
func Kind(rawURL string) (string, error) {
	scheme, _, ok := strings.Cut(rawURL, ":")
	if !ok || rawURL == "" {
		return "", invalid("%q is not a store URL: want sqlite:///path, bbolt:///path, postgres://..., redis://... or memory:", Redact(rawURL))
	}
	switch strings.ToLower(scheme) {
	case "sqlite", "sqlite3":
		return KindSQLite, nil
	case "bbolt", "bolt":
		return KindBbolt, nil
	case "postgres", "postgresql":
		return KindPostgres, nil
	case "redis", "rediss":
		return KindRedis, nil
	case "memory":
		return KindMemory, nil
	}
	return "", invalid("unknown scheme %q in %s: want sqlite, bbolt, postgres, redis or memory", scheme, Redact(rawURL))
}

// scrubbed is an error whose text has the URL's passwords masked; the
// error it wraps stays reachable for errors.Is.
type scrubbed struct {
	msg string
	err error
}

func (e *scrubbed) Error() string { return e.msg }
func (e *scrubbed) Unwrap() error { return e.err }

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: storeurl: %s", driver.ErrInvalid, fmt.Sprintf(format, args...))
}

// filePath is the file a sqlite: or bbolt: URL names: the path of
// scheme:///abs/path, or the opaque part of scheme:rel/path.
func filePath(u *url.URL) (string, error) {
	switch {
	case u.Opaque != "":
		p, err := url.PathUnescape(u.Opaque)
		if err != nil {
			return "", invalid("the path of %s: %v", u.Scheme, err)
		}
		return p, nil
	case u.Host != "":
		return "", invalid("%s://%s%s has a host; want %s:///absolute/path or %s:relative/path", u.Scheme, u.Host, u.Path, u.Scheme, u.Scheme)
	case u.Path == "":
		return "", invalid("the %s URL names no file; want %s:///absolute/path or %s:relative/path", u.Scheme, u.Scheme, u.Scheme)
	}
	return u.Path, nil
}
