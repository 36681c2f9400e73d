package redis

import (
	"context"
	"fmt"
	"strconv"

	goredis "github.com/redis/go-redis/v9"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/internal/storeunit"
)

// listScanBudget bounds how many task IDs one list script call reads, so a
// List with a rare state filter never blocks the server for long.
const listScanBudget = 1000

// List returns tasks of p.Queue in ascending ID order. It reads the queue's
// ID index in bounded steps (one script call each), so a listing is not one
// atomic snapshot when it spans steps.
func (d *Driver) List(ctx context.Context, p driver.ListParams) ([]driver.TaskRecord, error) {
	p, err := driver.ValidateList(p)
	if err = d.begin(ctx, err); err != nil {
		return nil, err
	}
	base := d.keys.base(d.keys.queueSlot(p.Queue))
	out := []driver.TaskRecord{}
	after := p.AfterID
	for len(out) < p.Limit {
		args := []any{p.Queue, after, p.Limit - len(out), listScanBudget}
		for _, s := range p.States {
			args = append(args, string(s))
		}
		replies, err := d.run(ctx, []call{{script: d.s.list, keys: []string{base}, args: args}})
		if err != nil {
			return nil, err
		}
		v, ok := replies[0].([]any)
		if !ok || len(v) != 3 {
			return nil, fmt.Errorf("gosk/redis: list script replied %T", replies[0])
		}
		recs, _ := v[0].([]any)
		step := make([]driver.TaskRecord, 0, len(recs))
		var apart []*driver.TaskRecord
		for _, r := range recs {
			rec, _, payloadApart, err := parseRecord(r)
			if err != nil {
				return nil, err
			}
			step = append(step, rec)
			if payloadApart {
				apart = append(apart, &step[len(step)-1])
			}
		}
		if len(apart) > 0 {
			found, err := d.fetchPayloads(ctx, base, apart)
			if err != nil {
				return nil, err
			}
			// A task whose payload is gone was deleted after the step
			// read it: it is left out, as if the step had run after.
			for k, r := range apart {
				if !found[k] {
					r.ID = 0
				}
			}
		}
		for _, rec := range step {
			if rec.ID != 0 {
				out = append(out, rec)
			}
		}
		if done, _ := v[2].(int64); done == 1 {
			break
		}
		switch last := v[1].(type) {
		case string:
			after, err = strconv.ParseInt(last, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("gosk/redis: list script replied cursor %q: %w", last, err)
			}
		case int64:
			after = last
		}
	}
	return out, nil
}

// Count returns the number of tasks of queue in each state, read in one
// script call from the cardinalities of the state sets.
func (d *Driver) Count(ctx context.Context, queue string) (map[driver.State]int64, error) {
	if err := d.begin(ctx, driver.ValidateQueueName(queue)); err != nil {
		return nil, err
	}
	replies, err := d.run(ctx, []call{{script: d.s.count, keys: []string{d.keys.base(d.keys.queueSlot(queue))}, args: []any{queue}}})
	if err != nil {
		return nil, err
	}
	v, ok := replies[0].([]any)
	if !ok || len(v) != len(driver.States()) {
		return nil, fmt.Errorf("gosk/redis: count script replied %T", replies[0])
	}
	out := make(map[driver.State]int64, len(driver.States()))
	for i, s := range driver.States() {
		n, _ := v[i].(int64)
		out[s] = n
	}
	return out, nil
}

// Retry moves failed or cancelled tasks back to pending, one script call
// per slot.
func (d *Driver) Retry(ctx context.Context, ids []int64) ([]error, error) {
	return d.byIDs(ctx, ids, d.s.retry, false)
}

// Cancel cancels pending or running tasks, one script call per slot; a
// running task's lease token goes up, so its worker learns at its next ping.
func (d *Driver) Cancel(ctx context.Context, ids []int64) ([]error, error) {
	return d.byIDs(ctx, ids, d.s.cancel, true)
}

func (d *Driver) byIDs(ctx context.Context, ids []int64, script *goredis.Script, withRetention bool) ([]error, error) {
	if err := d.begin(ctx, driver.ValidateIDs(ids)); err != nil {
		return nil, err
	}
	return d.perItem(ctx, len(ids), func(i int) int64 { return ids[i] },
		func(slot int, idx []int) call {
			args := make([]any, 0, 1+len(idx))
			if withRetention {
				args = append(args, storeunit.Micros(d.retention))
			}
			for _, i := range idx {
				args = append(args, idString(ids[i]))
			}
			return call{script: script, keys: []string{d.keys.base(slot)}, args: args}
		})
}

// Purge deletes up to p.Limit final tasks of p.Queue finalised at least
// p.OlderThan ago, in one script call.
func (d *Driver) Purge(ctx context.Context, p driver.PurgeParams) (int, error) {
	p, err := driver.ValidatePurge(p)
	if err = d.begin(ctx, err); err != nil {
		return 0, err
	}
	replies, err := d.run(ctx, []call{{
		script: d.s.purge,
		keys:   []string{d.keys.base(d.keys.queueSlot(p.Queue))},
		args:   []any{p.Queue, storeunit.Micros(p.OlderThan), scriptCount(p.Limit)},
	}})
	if err != nil {
		return 0, err
	}
	n, ok := replies[0].(int64)
	if !ok {
		return 0, fmt.Errorf("gosk/redis: purge script replied %T", replies[0])
	}
	return int(n), nil
}
