// Command neoq-memory runs the comparison's workload on neoq's memory
// backend and prints one JSON line (see package harness).
//
// neoq's memory backend takes jobs only for a queue whose handler is
// running, and keeps no record of a job once its handler returns. So this
// program starts neoq's handlers when it opens the store, behind a gate
// that holds them until the harness calls Start (the queue's capacity is
// set to hold every task meanwhile), and counts as completed the jobs whose
// handler returned.
package main

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/acaloiaro/neoq"
	"github.com/acaloiaro/neoq/backends/memory"
	"github.com/acaloiaro/neoq/handler"
	"github.com/acaloiaro/neoq/jobs"
	"github.com/acaloiaro/neoq/logging"

	"github.com/gosk/gosk/bench/harness"
)

const queue = "bench"

type store struct {
	nq        neoq.Neoq
	gate      chan struct{}
	handle    func([]byte)
	completed atomic.Int64
	started   bool
}

func main() {
	harness.Main(harness.Info{Library: "neoq", Backend: "memory", NativeBatch: false,
		Notes: "completed counted by handler returns (the backend keeps no record); queue capacity raised to hold n"},
		func(ctx context.Context, env *harness.Env) (harness.Store, error) {
			nq, err := neoq.New(ctx, neoq.WithBackend(memory.Backend), neoq.WithLogLevel(logging.LogLevelError))
			if err != nil {
				return nil, err
			}
			s := &store{nq: nq, gate: make(chan struct{})}
			h := handler.New(queue, func(ctx context.Context) error {
				<-s.gate
				j, err := jobs.FromContext(ctx)
				if err != nil {
					return err
				}
				p, ok := j.Payload["p"].(string)
				if !ok {
					return fmt.Errorf("job %d has no payload p", j.ID)
				}
				s.handle([]byte(p))
				s.completed.Add(1)
				return nil
			}, handler.Concurrency(harness.Handlers), handler.MaxQueueCapacity(int64(env.N+harness.PickupTasks)))
			if err := nq.Start(ctx, h); err != nil {
				nq.Shutdown(ctx)
				return nil, err
			}
			return s, nil
		})
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

// Start opens the gate of the handlers that neoq runs since the store was
// opened.
func (s *store) Start(_ context.Context, handlers int, handle func([]byte)) error {
	if handlers != harness.Handlers {
		return fmt.Errorf("neoq programs run %d handlers, not %d", harness.Handlers, handlers)
	}
	if s.started {
		return errors.New("started twice")
	}
	s.handle = handle
	s.started = true
	close(s.gate)
	return nil
}

func (s *store) Completed(context.Context) (int64, error) { return s.completed.Load(), nil }

// Close lets any held handlers run to nothing and shuts neoq down.
func (s *store) Close() error {
	if !s.started {
		s.handle = func([]byte) {}
		close(s.gate)
	}
	s.nq.Shutdown(context.Background())
	return nil
}
