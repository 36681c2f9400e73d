package redis

import (
	"context"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/internal/storeunit"
)

var _ driver.Importer = (*Driver)(nil)

// codeBefore is import.lua's per-task code for an origin task imported
// into its queue before (the others are those of lua/base.lua).
const codeBefore = 5

// importArgs is the number of ARGV values import.lua takes per task.
const importArgs = 14

// Import stores tasks copied from another store; see driver.Importer.
// Tasks of one queue (one hash slot) are stored by one call of
// lua/import.lua, which checks and records each origin task in the
// queue's origins hash, in the queue's slot, in the same atomic step as
// it stores the task: so concurrent importers store each origin task
// once, on a cluster too, and the record, which nothing deletes, outlives
// the task. A batch spanning slots goes as Create's does: one MULTI/EXEC
// on a single server, one pipeline on a cluster, where each slot's call
// applies or fails on its own and a task of a failed slot has that
// failure as its result's Err. Final tasks are swept as Finish sweeps
// them when Options.Retention is set.
//
// Times are kept to the microsecond: the scripts hold them as Lua numbers
// (doubles), exact up to 2^53 microseconds since the epoch (about the year
// 2255), and driver.ValidateImports keeps them before
// driver.MaxImportTime.
func (d *Driver) Import(ctx context.Context, tasks []driver.ImportTask) ([]driver.ImportResult, error) {
	if err := d.begin(ctx, driver.ValidateImports(tasks, d.maxPayload)); err != nil {
		return nil, err
	}
	if len(tasks) == 0 {
		return []driver.ImportResult{}, nil
	}
	slots, items := group(len(tasks), func(i int) int { return d.keys.queueSlot(tasks[i].Task.Queue) })
	calls := make([]call, len(slots))
	for j, s := range slots {
		calls[j] = d.importCall(s, tasks, items[s])
	}
	out := make([]driver.ImportResult, len(tasks))
	if len(calls) == 1 {
		replies, err := d.run(ctx, calls)
		if err != nil {
			return nil, err
		}
		if err := parseImport(replies[0], items[slots[0]], out); err != nil {
			return nil, err
		}
		return out, nil
	}
	_, cluster := d.client.(*goredis.ClusterClient)
	var first error // of the first slot that failed
	applied := 0
	for j, cmd := range d.evalEach(ctx, calls, !cluster) {
		s := slots[j]
		v, err := cmd.Result()
		if err == nil {
			applied++
			err = parseImport(v, items[s], out)
			if err != nil {
				// The slot's call applied but its reply cannot be read.
				err = fmt.Errorf("queue %q: %w", tasks[items[s][0]].Task.Queue, err)
				for _, i := range items[s] {
					out[i] = driver.ImportResult{Err: err}
				}
			}
			continue
		}
		err = translate(err)
		if first == nil {
			first = err
		}
		for _, i := range items[s] {
			out[i] = driver.ImportResult{Err: fmt.Errorf("queue %q not stored: %w", tasks[i].Task.Queue, err)}
		}
	}
	if applied == 0 {
		return nil, first
	}
	return out, nil
}

// importCall builds the import script call for the tasks at idx, all in
// slot.
func (d *Driver) importCall(slot int, tasks []driver.ImportTask, idx []int) call {
	args := make([]any, 0, 2+importArgs*len(idx))
	args = append(args, slot, storeunit.Micros(d.retention))
	for _, i := range idx {
		r := tasks[i].Task
		args = append(args, tasks[i].Origin, r.ID, r.Queue, r.Payload, r.Priority, r.UniqueKey, string(r.State),
			r.Attempt, r.MaxAttempts, r.LastError, micros(r.CreatedAt), micros(r.RunAt), micros(r.FinalizedAt), r.Result)
	}
	return call{script: d.s.imp, keys: []string{d.keys.base(slot)}, args: args}
}

// micros is t in microseconds since the epoch, as the scripts keep times,
// or 0 for the zero time.
func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// parseImport reads the reply of one import script call, for the tasks
// at idx, into out.
func parseImport(reply any, idx []int, out []driver.ImportResult) error {
	v, ok := reply.([]any)
	if !ok || len(v) != 2*len(idx) {
		return fmt.Errorf("gosk/redis: import script replied %T of %d items for %d tasks", reply, len(v), len(idx))
	}
	for k, i := range idx {
		id, err := parseID(v[2*k])
		if err != nil {
			return err
		}
		switch code, _ := v[2*k+1].(int64); code {
		case codeOK:
			out[i] = driver.ImportResult{ID: id, Imported: true}
		case codeDuplicate:
			out[i] = driver.ImportResult{ID: id, Err: driver.ErrDuplicate}
		case codeBefore:
			out[i] = driver.ImportResult{ID: id}
		default:
			return fmt.Errorf("gosk/redis: import script returned unknown code %d", code)
		}
	}
	return nil
}
