// Command neoq-postgres runs the comparison's workload on neoq's PostgreSQL
// backend (a fresh database bench_neoq) and prints one JSON line (see
// package harness). neoq turns synchronous_commit off for its own
// transactions unless told otherwise; this program turns it back on, as the
// server (and every other program here) runs with it. neoq has no call that
// creates many jobs, so the batch phase enqueues one call at a time.
//
// neoq's workers learn of a job from the NOTIFY of its insert, and of jobs
// stored before they started only from a scan for pending jobs, every 60 s
// by default. So tasks are created through one neoq instance (the
// producer, default settings) and handled by a second that Start opens
// (the worker) with that scan every 100 ms, as a worker process started on
// a backlog would be configured.
package main

import (
	"context"
	"fmt"
	"time"

	"github.com/acaloiaro/neoq"
	"github.com/acaloiaro/neoq/backends/postgres"
	"github.com/acaloiaro/neoq/handler"
	"github.com/acaloiaro/neoq/jobs"
	"github.com/acaloiaro/neoq/logging"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gosk/gosk/bench/harness"
)

const queue = "bench"

// pendingScan is how often the worker instance looks for jobs it missed.
const pendingScan = 100 * time.Millisecond

type store struct {
	url    string
	nq     neoq.Neoq
	worker neoq.Neoq
	pool   *pgxpool.Pool
}

func main() {
	harness.Main(harness.Info{Library: "neoq", Backend: "postgres", NativeBatch: false,
		Notes: "WithSynchronousCommit(true) (neoq's default is off); worker instance with PendingJobCheckInterval 100ms (default 60s)"},
		func(ctx context.Context, env *harness.Env) (harness.Store, error) {
			url, err := harness.FreshPostgres(ctx, env, "bench_neoq")
			if err != nil {
				return nil, err
			}
			nq, err := open(ctx, url)
			if err != nil {
				return nil, err
			}
			pool, err := pgxpool.New(ctx, url)
			if err != nil {
				nq.Shutdown(ctx)
				return nil, err
			}
			return &store{url: url, nq: nq, pool: pool}, nil
		})
}

func open(ctx context.Context, url string, opts ...neoq.ConfigOption) (neoq.Neoq, error) {
	return neoq.New(ctx, append([]neoq.ConfigOption{
		neoq.WithBackend(postgres.Backend), postgres.WithConnectionString(url),
		postgres.WithSynchronousCommit(true), neoq.WithLogLevel(logging.LogLevelError),
	}, opts...)...)
}

func (s *store) Enqueue(ctx context.Context, payload []byte) error {
	_, err := s.nq.Enqueue(ctx, &jobs.Job{Queue: queue, Payload: map[string]any{"p": string(payload)}})
	return err
}

func (s *store) EnqueueBatch(ctx context.Context, payloads [][]byte) error {
	for _, p := range payloads {
		if err := s.Enqueue(ctx, p); err != nil {
			return err
		}
	}
	return nil
}

func (s *store) Start(ctx context.Context, handlers int, handle func([]byte)) error {
	h := handler.New(queue, func(ctx context.Context) error {
		j, err := jobs.FromContext(ctx)
		if err != nil {
			return err
		}
		p, ok := j.Payload["p"].(string)
		if !ok {
			return fmt.Errorf("job %d has no payload p", j.ID)
		}
		handle([]byte(p))
		return nil
	}, handler.Concurrency(handlers))
	w, err := open(ctx, s.url, neoq.WithPendingJobCheckInterval(pendingScan))
	if err != nil {
		return err
	}
	s.worker = w
	return w.Start(ctx, h)
}

// Completed counts the jobs neoq stores as processed.
func (s *store) Completed(ctx context.Context) (int64, error) {
	var n int64
	err := s.pool.QueryRow(ctx, "SELECT count(*) FROM neoq_jobs WHERE status = 'processed'").Scan(&n)
	return n, err
}

func (s *store) Close() error {
	if s.worker != nil {
		s.worker.Shutdown(context.Background())
	}
	s.nq.Shutdown(context.Background())
	s.pool.Close()
	return nil
}
