package worker

import (
	"context"
	"log/slog"
	"time"

	"github.com/gosk/gosk/driver"
)

// retentionRounds bounds the purge calls of one retention round.
const retentionRounds = 10

// purge is Run's retention goroutine, started when the driver has
// driver.Admin and Config.Retention is not NoRetention: it deletes the
// queue's final tasks older than Config.Retention every
// RetentionInterval, in bounded batches, until ctx is done.
func (e *engine[T]) purge(ctx context.Context) {
	t := time.NewTimer(jitter(e.cfg.RetentionInterval))
	defer t.Stop()
	for {
		total := 0
		for range retentionRounds {
			n, err := e.w.admin.Purge(ctx, driver.PurgeParams{Queue: e.w.q.Name(), OlderThan: e.cfg.Retention, Limit: e.cfg.RetentionBatch})
			total += n
			if err != nil {
				if ctx.Err() == nil {
					e.log.Warn("gosk: purge failed", slog.Any("error", err))
				}
				break
			}
			if n < e.cfg.RetentionBatch {
				break
			}
		}
		if total > 0 {
			e.log.Debug("gosk: purged final tasks", slog.Int("tasks", total))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			t.Reset(jitter(e.cfg.RetentionInterval))
		}
	}
}
