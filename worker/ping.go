package worker

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// ping is the pinger goroutine: every Config.PingInterval it extends the
// leases of every task held, in one call, and cancels the handlers whose
// lease is lost, until ctx is done.
func (e *engine[T]) ping(ctx context.Context) {
	t := time.NewTicker(e.cfg.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		leases := e.runs.leases()
		if len(leases) == 0 {
			continue
		}
		pctx, cancel := context.WithTimeout(ctx, e.cfg.PingInterval)
		errs, err := e.drv.Ping(pctx, leases, e.cfg.Lease)
		cancel()
		if err == nil && len(errs) != len(leases) {
			err = fmt.Errorf("driver returned %d results for %d leases", len(errs), len(leases))
		}
		if err != nil {
			if ctx.Err() == nil {
				e.log.Warn("gosk: ping failed; will retry at the next interval", slog.Any("error", err), slog.Int("tasks", len(leases)))
			}
			continue
		}
		e.health.answer()
		for i, perr := range errs {
			if perr != nil && e.runs.lose(leases[i], perr) {
				e.log.Warn("gosk: lease lost; cancelling the handler", slog.Int64("task_id", leases[i].TaskID), slog.Any("error", perr))
			}
		}
	}
}
