package drivertest_test

import (
	"context"
	"errors"

	"github.com/gosk/gosk/driver"
)

// The broken drivers of results: brokenDrivers names them, and the broken
// wrapper's Finish, Retry and view call the hooks below.

// resultBreak changes a batch of outcomes (already a copy) as the broken
// store would take it, before the memory driver applies it, and returns
// what to do once it has, given the per-item errors.
func (b *broken) resultBreak(outcomes []driver.Outcome) (after func(errs []error)) {
	after = func([]error) {}
	switch b.name {
	case "result-dropped":
		for i := range outcomes {
			outcomes[i].Result = nil
		}
	case "result-cut-to-limit":
		for i := range outcomes {
			if len(outcomes[i].Result) > driver.MaxResultLen {
				outcomes[i].Result = outcomes[i].Result[:driver.MaxResultLen]
			}
		}
	case "results-rotated-in-batch":
		var with []int
		for i, o := range outcomes {
			if o.Kind == driver.Complete && len(o.Result) > 0 {
				with = append(with, i)
			}
		}
		if len(with) > 1 {
			first := outcomes[with[0]].Result
			for k := 0; k+1 < len(with); k++ {
				outcomes[with[k]].Result = outcomes[with[k+1]].Result
			}
			outcomes[with[len(with)-1]].Result = first
		}
	case "result-on-any-outcome":
		// Kept on a release, cancel or fail too, beside the memory driver.
		kept := map[int]([]byte){}
		for i := range outcomes {
			if o := &outcomes[i]; o.Kind != driver.Complete && len(o.Result) > 0 {
				kept[i] = o.Result
				o.Result = nil
			}
		}
		after = func(errs []error) {
			b.mu.Lock()
			defer b.mu.Unlock()
			for i, r := range kept {
				if errs[i] == nil {
					b.result[outcomes[i].Lease.TaskID] = r
				}
			}
		}
	case "refused-completion-keeps-result":
		after = func(errs []error) {
			b.mu.Lock()
			defer b.mu.Unlock()
			for i, o := range outcomes {
				if errs[i] != nil && o.Kind == driver.Complete && len(o.Result) > 0 {
					b.result[o.Lease.TaskID] = o.Result
				}
			}
		}
	}
	return after
}

// retryResultBreak drops the result of a completed task whose retry was
// refused, for the driver that does.
func (b *broken) retryResultBreak(ctx context.Context, ids []int64, errs []error) {
	if b.name != "refused-retry-drops-result" {
		return
	}
	for i, id := range ids {
		if !errors.Is(errs[i], driver.ErrTaskConflict) {
			continue
		}
		if r, err := b.Driver.Get(ctx, id); err == nil && r.State == driver.StateCompleted {
			b.mu.Lock()
			b.result[id] = nil
			b.mu.Unlock()
		}
	}
}

// viewResult shows r's result as the broken store does; b.mu is held.
func (b *broken) viewResult(r driver.TaskRecord) driver.TaskRecord {
	if res, ok := b.result[r.ID]; ok {
		r.Result = res
	}
	if b.name == "no-result-read-as-empty" && r.Result == nil {
		r.Result = []byte{}
	}
	// As a store that keeps large payloads apart from their records and
	// deletes them with the run that ends the task, not with the task.
	if b.name == "large-payload-dropped-once-final" && r.State.Final() && len(r.Payload) >= 1024 {
		r.Payload = []byte{}
	}
	return r
}
