// Package crashtest kills processes that work on a durable gosk store and
// checks that the store's accounting survives: every acknowledged task
// exists, every task becomes final, a batch is created whole or not at all,
// and every handler run is matched by an attempt. The crash tests of `make
// test` run it briefly on each durable driver; `make soak` (./soak) runs it
// at length with a mix of handler outcomes and unique keys.
//
// The processes are the running binary itself, started again with
// ChildEnv set: a test binary's TestMain, and the soak program's main,
// call MaybeChild first, which runs the child's role and exits.
package crashtest

import (
	"context"
	"fmt"
	"time"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivers/bbolt"
	"github.com/gosk/gosk/drivers/postgres"
	"github.com/gosk/gosk/drivers/redis"
	"github.com/gosk/gosk/drivers/sqlite"
)

// Store names a durable store that several processes can open.
type Store struct {
	// Kind is "sqlite", "bbolt", "postgres" or "redis".
	Kind string
	// Addr is the file path (sqlite, bbolt) or the server's URL.
	Addr string
	// Namespace is the PostgreSQL schema or the Redis key prefix; unused
	// for files.
	Namespace string
}

// OneProcess reports whether only one process at a time may open the
// store (bbolt locks its file).
func (s Store) OneProcess() bool { return s.Kind == "bbolt" }

// Open opens the store.
func (s Store) Open(ctx context.Context) (driver.Driver, error) {
	switch s.Kind {
	case "sqlite":
		return sqlite.Open(ctx, s.Addr, nil)
	case "bbolt":
		// A killed holder's lock goes with it; a few seconds covers a
		// loaded machine.
		return bbolt.Open(ctx, s.Addr, &bbolt.Options{LockTimeout: 10 * time.Second})
	case "postgres":
		return postgres.Open(ctx, s.Addr, &postgres.Options{Schema: s.Namespace, MaxConns: 8})
	case "redis":
		return redis.Open(ctx, s.Addr, &redis.Options{Prefix: s.Namespace})
	}
	return nil, fmt.Errorf("crashtest: unknown store kind %q", s.Kind)
}
