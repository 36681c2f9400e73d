// Command goqite-sqlite runs the comparison's workload on goqite's job
// runner with SQLite (modernc.org/sqlite, a fresh file, WAL, synchronous
// FULL, one connection as goqite's README sets) and prints one JSON line
// (see package harness). goqite has no call that creates many messages;
// the batch phase creates each batch in one transaction.
package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/maragudk/goqite"
	"github.com/maragudk/goqite/jobs"
	_ "modernc.org/sqlite"

	"github.com/gosk/gosk/bench/harness"
)

const (
	queue   = "bench"
	jobName = "bench"
	// pollInterval is the one setting changed from goqite's defaults: its
	// runner receives at most one message per interval (it waits one
	// interval before each receive), so the default 100 ms would hold it
	// to about 10 tasks a second.
	pollInterval = time.Millisecond
)

type store struct {
	db      *sql.DB
	q       *goqite.Queue
	created atomic.Int64
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

func main() {
	harness.Main(harness.Info{Library: "goqite", Backend: "sqlite", NativeBatch: false,
		Notes: "PollInterval 1ms (default 100ms: one message per interval); one connection (goqite's README); batch: one transaction of single creates"},
		func(ctx context.Context, env *harness.Env) (harness.Store, error) {
			path, err := harness.FreshSQLite(env, "goqite")
			if err != nil {
				return nil, err
			}
			db, err := sql.Open("sqlite", harness.SQLiteDSN(path))
			if err != nil {
				return nil, err
			}
			db.SetMaxOpenConns(1)
			db.SetMaxIdleConns(1)
			if err := goqite.Setup(ctx, db); err != nil {
				return nil, errors.Join(fmt.Errorf("setup: %w", err), db.Close())
			}
			return &store{db: db, q: goqite.New(goqite.NewOpts{DB: db, Name: queue})}, nil
		})
}

func (s *store) Enqueue(ctx context.Context, payload []byte) error {
	if err := jobs.Create(ctx, s.q, jobName, payload); err != nil {
		return err
	}
	s.created.Add(1)
	return nil
}

func (s *store) EnqueueBatch(ctx context.Context, payloads [][]byte) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	for _, p := range payloads {
		if err := jobs.CreateTx(ctx, tx, s.q, jobName, p); err != nil {
			return errors.Join(err, tx.Rollback())
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	s.created.Add(int64(len(payloads)))
	return nil
}

func (s *store) Start(ctx context.Context, handlers int, handle func([]byte)) error {
	r := jobs.NewRunner(jobs.NewRunnerOpts{Limit: handlers, Queue: s.q, PollInterval: pollInterval})
	r.Register(jobName, func(_ context.Context, m []byte) error {
		handle(m)
		return nil
	})
	ctx, s.cancel = context.WithCancel(ctx)
	s.wg.Go(func() { r.Start(ctx) })
	return nil
}

// Completed is how many of the messages created are gone: goqite's runner
// deletes a message once its job succeeds.
func (s *store) Completed(ctx context.Context) (int64, error) {
	var left int64
	if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM goqite WHERE queue = ?", queue).Scan(&left); err != nil {
		return 0, err
	}
	return s.created.Load() - left, nil
}

func (s *store) Close() error {
	if s.cancel != nil {
		s.cancel()
		s.wg.Wait()
	}
	return s.db.Close()
}
