// Package gosksubject is gosk's side of the comparison: one harness.Store
// over any gosk driver, so that the five gosk programs differ only in how
// they open their driver.
package gosksubject

import (
	"context"
	"errors"
	"fmt"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/bench/harness"
	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/worker"
)

// Queue is the name of the queue every gosk program uses.
const Queue = "bench"

// Prefetch is the worker.Config.Prefetch of the programs that set one:
// three times the handlers, so that a claim and a finish each carry 64
// tasks instead of 16.
const Prefetch = 3 * harness.Handlers

// PrefetchNotes is the note of the programs that set Prefetch.
const PrefetchNotes = "worker.Config.Prefetch 48 (default 0): claims take 48 tasks ahead of the 16 handlers"

// Store is a harness.Store on a gosk driver.
type Store struct {
	// Prefetch is passed to worker.Config.Prefetch; zero by New.
	Prefetch int

	drv    driver.Driver
	q      *gosk.Queue[[]byte]
	cancel context.CancelFunc
	done   chan error
}

// New returns a Store on drv, which it closes with its own Close.
func New(drv driver.Driver) (*Store, error) {
	q, err := gosk.NewQueue[[]byte](drv, Queue, &gosk.QueueOptions{Codec: gosk.BytesCodec{}})
	if err != nil {
		_ = drv.Close()
		return nil, err
	}
	return &Store{drv: drv, q: q}, nil
}

// Enqueue creates one task.
func (s *Store) Enqueue(ctx context.Context, payload []byte) error {
	_, err := s.q.Create(ctx, payload, nil)
	return err
}

// EnqueueBatch creates the tasks in one CreateMany call.
func (s *Store) EnqueueBatch(ctx context.Context, payloads [][]byte) error {
	res, err := s.q.CreateMany(ctx, gosk.Items(payloads, nil))
	if err != nil {
		return err
	}
	for i, r := range res {
		if r.Err != nil {
			return fmt.Errorf("task %d of the batch: %w", i, r.Err)
		}
	}
	return nil
}

// Start runs one worker with the given number of handlers.
func (s *Store) Start(ctx context.Context, handlers int, handle func([]byte)) error {
	w, err := worker.New(s.q, func(_ context.Context, t *gosk.Task[[]byte]) error {
		handle(t.Payload)
		return nil
	}, &worker.Config{Concurrency: handlers, Prefetch: s.Prefetch})
	if err != nil {
		return err
	}
	ctx, s.cancel = context.WithCancel(ctx)
	s.done = make(chan error, 1)
	go func() { s.done <- w.Run(ctx) }()
	return nil
}

// Completed is the number of the queue's tasks in state completed.
func (s *Store) Completed(ctx context.Context) (int64, error) {
	counts, err := s.q.Count(ctx)
	if err != nil {
		return 0, err
	}
	return counts[gosk.StateCompleted], nil
}

// Close stops the worker, if started, and closes the driver.
func (s *Store) Close() error {
	var err error
	if s.cancel != nil {
		s.cancel()
		if werr := <-s.done; werr != nil && !errors.Is(werr, context.Canceled) {
			err = fmt.Errorf("worker: %w", werr)
		}
	}
	return errors.Join(err, s.drv.Close())
}

var _ harness.Store = (*Store)(nil)
