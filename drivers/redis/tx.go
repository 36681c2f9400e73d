package redis

import (
	"context"
	"errors"
	"fmt"

	goredis "github.com/redis/go-redis/v9"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/internal/uniquekey"
)

// txCreator creates tasks inside the caller's Redis transaction: a
// MULTI/EXEC pipeline (goredis.Pipeliner from TxPipeline or TxPipelined).
// The tasks appear when, and only if, the caller's EXEC runs.
type txCreator struct {
	d  *Driver
	tx goredis.Pipeliner
}

// Tx returns a driver.Creator bound to tx, a transaction pipeline of the
// driver's client:
//
//	_, err := client.TxPipelined(ctx, func(tx goredis.Pipeliner) error {
//		tx.Set(ctx, "order:42", "paid", 0)
//		_, err := q.In(drv.Tx(tx)).Create(ctx, Email{To: "a@example.com"}, nil)
//		return err
//	})
//
// Redis runs a transaction's commands only at EXEC, so the IDs are
// reserved beforehand (one INCRBY per slot, outside the transaction; a
// discarded transaction leaves a gap in the IDs) and unique keys are checked
// when Create is called: against the store, and against the create calls
// queued earlier in tx (by any Creator bound to it), so that a key taken
// earlier in the same transaction is ErrDuplicate with that task's ID. If
// another client's task takes a unique key between that check and EXEC,
// the transaction stores nothing for that item and its returned ID names
// no task (see # Caveats in the package doc).
func (d *Driver) Tx(tx goredis.Pipeliner) driver.Creator {
	return &txCreator{d: d, tx: tx}
}

// Create queues the creation of tasks in the transaction.
func (c *txCreator) Create(ctx context.Context, tasks []driver.NewTask) ([]driver.CreateResult, error) {
	d := c.d
	invalid := driver.ValidateNewTasksMax(tasks, d.maxPayload)
	if c.tx == nil {
		invalid = fmt.Errorf("%w: transaction is nil", driver.ErrInvalid)
	}
	if err := d.begin(ctx, invalid); err != nil {
		return nil, err
	}
	out := make([]driver.CreateResult, len(tasks))
	if len(tasks) == 0 {
		return out, nil
	}

	// A task repeating a key of an earlier task of the batch gets that
	// task's answer. The others' keys are checked now, against the store
	// and the tasks queued earlier in the same transaction.
	first, repeatOf := uniquekey.Split(tasks)
	var taken map[uniquekey.Key]int64
	pipe := d.client.Pipeline()
	holders := make(map[int]*goredis.StringCmd)
	for _, i := range first {
		if t := tasks[i]; t.UniqueKey != "" {
			holders[i] = pipe.HGet(ctx, d.keys.base(d.keys.queueSlot(t.Queue))+"q:"+t.Queue+":unique", t.UniqueKey)
		}
	}
	if len(holders) > 0 {
		_, _ = pipe.Exec(ctx)
		taken = d.takenInTx(c.tx)
	}
	var keep []int
	for _, i := range first {
		if cmd, ok := holders[i]; ok {
			if s, err := cmd.Result(); err == nil {
				id, err := parseID(s)
				if err != nil {
					return nil, err
				}
				out[i] = driver.CreateResult{ID: id, Err: driver.ErrDuplicate}
				continue
			} else if !errors.Is(err, goredis.Nil) {
				return nil, translate(err)
			}
			if id, ok := taken[uniquekey.Of(tasks[i])]; ok {
				out[i] = driver.CreateResult{ID: id, Err: driver.ErrDuplicate}
				continue
			}
		}
		keep = append(keep, i)
	}

	// Reserve IDs, one INCRBY per slot in one pipeline.
	slots, items := group(len(keep), func(k int) int { return d.keys.queueSlot(tasks[keep[k]].Queue) })
	pipe = d.client.Pipeline()
	seqs := make([]*goredis.IntCmd, len(slots))
	for j, s := range slots {
		seqs[j] = pipe.IncrBy(ctx, d.keys.base(s)+"seq", int64(len(items[s])))
	}
	if len(slots) > 0 {
		if _, err := pipe.Exec(ctx); err != nil {
			return nil, translate(err)
		}
	}
	// Every check comes before the first call is queued, so that an
	// error leaves nothing of the batch in the transaction.
	calls := make([]call, len(slots))
	for j, s := range slots {
		idx := make([]int, len(items[s]))
		for n, k := range items[s] {
			idx[n] = keep[k]
		}
		first := seqs[j].Val() - int64(len(idx)) + 1
		for n, i := range idx {
			id := (first+int64(n))<<slotBits | int64(s)
			if id > maxID {
				return nil, fmt.Errorf("gosk/redis: task IDs of slot %d are exhausted", s)
			}
			out[i] = driver.CreateResult{ID: id}
		}
		calls[j] = d.createCall(s, first, tasks, idx, false)
	}
	for _, cl := range calls {
		// EVAL, not EVALSHA: inside MULTI a missing script would fail at
		// EXEC with no way to fall back.
		cl.script.Eval(ctx, c.tx, cl.keys, cl.args...)
	}
	uniquekey.Answer(out, repeatOf)
	return out, nil
}

// takenInTx returns the unique keys that the create script calls queued
// in tx so far will take at EXEC, each with the ID of its task: a key
// taken earlier in the same transaction, by this Creator or another bound
// to tx, makes a duplicate just as a stored one does. It reads the
// arguments createCall lays out, EVAL style: "eval", source, 1, base key,
// slot, first sequence number, count, then runs of one queue: the queue,
// the run's length, and two values per task (its record's head and its
// options, which end with its unique key).
func (d *Driver) takenInTx(tx goredis.Pipeliner) map[uniquekey.Key]int64 {
	const head = 7
	taken := make(map[uniquekey.Key]int64)
	for _, cmd := range tx.Cmds() {
		a := cmd.Args()
		if len(a) < head || a[0] != "eval" || a[1] != d.s.createSrc {
			continue
		}
		slot, ok1 := a[4].(int)
		seq, ok2 := a[5].(int64)
		n, ok3 := a[6].(int)
		if !ok1 || !ok2 || !ok3 {
			continue
		}
		k, j := 0, head
		for k < n && j+2 <= len(a) {
			queue, _ := a[j].(string)
			run, _ := a[j+1].(int)
			j += 2
			for range run {
				if j+2 > len(a) {
					break
				}
				opts, _ := a[j+1].(string)
				if key := uniqueKeyOf(opts); key != "" {
					if _, seen := taken[uniquekey.Key{Queue: queue, Key: key}]; !seen {
						taken[uniquekey.Key{Queue: queue, Key: key}] = (seq+int64(k))<<slotBits | int64(slot)
					}
				}
				j += 2
				k++
			}
		}
	}
	return taken
}
