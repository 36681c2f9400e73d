// Command asynq-redis runs the comparison's workload on asynq with Redis
// (database index 11, flushed first) and prints one JSON line (see package
// harness). asynq has no call that creates many tasks, so the batch phase
// enqueues its tasks one call at a time.
package main

import (
	"context"

	"github.com/hibiken/asynq"
	goredis "github.com/redis/go-redis/v9"

	"github.com/gosk/gosk/bench/harness"
)

// redisDB is this program's database index, flushed before each phase.
const redisDB = 11

const (
	taskType = "bench"
	queue    = "default"
)

type store struct {
	rdb       *goredis.Client
	client    *asynq.Client
	inspector *asynq.Inspector
	server    *asynq.Server
}

func main() {
	harness.Main(harness.Info{Library: "asynq", Backend: "redis", NativeBatch: false},
		func(ctx context.Context, env *harness.Env) (harness.Store, error) {
			opts, _, err := harness.FreshRedis(ctx, env, redisDB)
			if err != nil {
				return nil, err
			}
			rdb := goredis.NewClient(opts)
			return &store{
				rdb:       rdb,
				client:    asynq.NewClientFromRedisClient(rdb),
				inspector: asynq.NewInspectorFromRedisClient(rdb),
			}, nil
		})
}

func (s *store) Enqueue(ctx context.Context, payload []byte) error {
	_, err := s.client.EnqueueContext(ctx, asynq.NewTask(taskType, payload))
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

func (s *store) Start(_ context.Context, handlers int, handle func([]byte)) error {
	s.server = asynq.NewServerFromRedisClient(s.rdb, asynq.Config{
		Concurrency: handlers,
		LogLevel:    asynq.WarnLevel,
	})
	mux := asynq.NewServeMux()
	mux.HandleFunc(taskType, func(_ context.Context, t *asynq.Task) error {
		handle(t.Payload())
		return nil
	})
	return s.server.Start(mux)
}

// Completed is the queue's count of tasks processed without failure: asynq
// deletes a task that succeeds (unless it was given a retention), counting
// it in the same script.
func (s *store) Completed(context.Context) (int64, error) {
	info, err := s.inspector.GetQueueInfo(queue)
	if err != nil {
		return 0, err
	}
	return int64(info.ProcessedTotal - info.FailedTotal), nil
}

func (s *store) Close() error {
	if s.server != nil {
		s.server.Shutdown()
	}
	// The client and inspector share rdb, which asynq leaves to its owner
	// to close.
	return s.rdb.Close()
}
