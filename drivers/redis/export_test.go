package redis

import (
	"context"
	"fmt"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// SeqKey is the key of the ID sequence of queue's slot, which every create
// in that slot increments first: a test that gives it another type makes
// that slot's creates fail before they write anything.
func SeqKey(d *Driver, queue string) string {
	return d.keys.base(d.keys.queueSlot(queue)) + "seq"
}

// Backdate moves the finalisation time of the final task id back by age,
// in its hash and in its state's index, as if it had been finalised that
// long ago: the scripts compare that time with the server's clock, so a
// test can make a task look days old without waiting.
func Backdate(ctx context.Context, d *Driver, id int64, age time.Duration) error {
	key := d.keys.task(id)
	v, err := d.client.HMGet(ctx, key, "q", "s", "f").Result()
	if err != nil {
		return err
	}
	queue, _ := v[0].(string)
	state, _ := v[1].(string)
	f, err := strconv.ParseInt(fmt.Sprint(v[2]), 10, 64)
	if err != nil || f == 0 {
		return fmt.Errorf("task %d is not final (state %q)", id, state)
	}
	at := f - age.Microseconds()
	_, err = d.client.TxPipelined(ctx, func(tx goredis.Pipeliner) error {
		tx.HSet(ctx, key, "f", at)
		tx.ZAdd(ctx, d.keys.base(idSlot(id))+"q:"+queue+":"+state, goredis.Z{Score: float64(at), Member: idString(id)})
		return nil
	})
	return err
}

// HoldCreates makes every coalesced create batch call hold before it is
// sent, so a test can line callers up behind one in flight.
func HoldCreates(d *Driver, hold func()) { d.creates.hold = hold }

// WaitingCreates is the number of Create callers waiting for the next
// batch.
func WaitingCreates(d *Driver) int {
	d.creates.mu.Lock()
	defer d.creates.mu.Unlock()
	return len(d.creates.wait)
}

// CoalesceCreates turns create coalescing on or off, for benchmarks that
// compare the two.
func CoalesceCreates(d *Driver, on bool) { d.creates.off = !on }

// CreatesInFlight is how many coalesced create calls may be in flight at
// once.
const CreatesInFlight = coalesceInFlight
