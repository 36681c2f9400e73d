// Package riversubject is River's side of the comparison: one
// harness.Store over a River client on any of River's drivers, so that
// River on PostgreSQL and on SQLite differ only in how they open theirs.
package riversubject

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/gosk/gosk/bench/harness"
)

// FetchCooldown is the one setting the programs change from River's
// defaults: River fetches new jobs at most once per cooldown (100 ms by
// default; its doc says "throughput is limited by this value"); 1 ms is
// River's minimum.
const FetchCooldown = time.Millisecond

// Notes is what the River programs report they set.
const Notes = "FetchCooldown 1ms (River's minimum; default 100ms, which its doc says limits throughput)"

// Args is the job's arguments: the 100-byte payload as a JSON string.
type Args struct {
	P string `json:"p"`
}

// Kind names River's job kind.
func (Args) Kind() string { return "bench" }

// Store is a harness.Store on a River client.
type Store[TTx any] struct {
	client    *river.Client[TTx]
	handle    func([]byte)
	completed func(context.Context) (int64, error)
	closeDB   func() error
	started   bool
}

// New migrates drv's database up and returns a Store on a River client of
// drv. completed counts the jobs River stores as completed; closeDB
// releases the database when the Store closes.
func New[TTx any](ctx context.Context, drv riverdriver.Driver[TTx], completed func(context.Context) (int64, error), closeDB func() error) (*Store[TTx], error) {
	m, err := rivermigrate.New(drv, nil)
	if err != nil {
		return nil, errors.Join(err, closeDB())
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return nil, errors.Join(fmt.Errorf("migrate: %w", err), closeDB())
	}
	s := &Store[TTx]{completed: completed, closeDB: closeDB}
	workers := river.NewWorkers()
	river.AddWorker(workers, river.WorkFunc(func(_ context.Context, j *river.Job[Args]) error {
		s.handle([]byte(j.Args.P))
		return nil
	}))
	s.client, err = river.NewClient(drv, &river.Config{
		Queues:        map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: harness.Handlers}},
		Workers:       workers,
		FetchCooldown: FetchCooldown,
		Logger:        slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		return nil, errors.Join(err, closeDB())
	}
	return s, nil
}

// Enqueue inserts one job.
func (s *Store[TTx]) Enqueue(ctx context.Context, payload []byte) error {
	_, err := s.client.Insert(ctx, Args{P: string(payload)}, nil)
	return err
}

// EnqueueBatch inserts the jobs with one InsertMany.
func (s *Store[TTx]) EnqueueBatch(ctx context.Context, payloads [][]byte) error {
	params := make([]river.InsertManyParams, len(payloads))
	for i, p := range payloads {
		params[i] = river.InsertManyParams{Args: Args{P: string(p)}}
	}
	_, err := s.client.InsertMany(ctx, params)
	return err
}

// Start starts the client's workers; its queue has harness.Handlers of
// them, the only count the harness asks for.
func (s *Store[TTx]) Start(ctx context.Context, handlers int, handle func([]byte)) error {
	if handlers != harness.Handlers {
		return fmt.Errorf("river programs run %d handlers, not %d", harness.Handlers, handlers)
	}
	s.handle = handle
	if err := s.client.Start(ctx); err != nil {
		return err
	}
	s.started = true
	return nil
}

// Completed counts the jobs in state completed.
func (s *Store[TTx]) Completed(ctx context.Context) (int64, error) { return s.completed(ctx) }

// Close stops the client, if started, and releases the database.
func (s *Store[TTx]) Close() error {
	var err error
	if s.started {
		err = s.client.Stop(context.Background())
	}
	return errors.Join(err, s.closeDB())
}
