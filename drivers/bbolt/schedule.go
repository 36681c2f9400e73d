package bbolt

import (
	"context"
	"encoding/binary"
	"time"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/internal/wakeup"
)

// CreateSlot takes a schedule's slot and creates its task; see
// driver.Scheduler. The compare and the create are one write transaction,
// and bbolt has one writer per file. The schedule's record lives in the
// schedules bucket, which purging tasks leaves alone.
func (d *Driver) CreateSlot(ctx context.Context, s driver.Slot) (driver.SlotResult, error) {
	leave, err := d.enter()
	if err != nil {
		return driver.SlotResult{}, err
	}
	defer leave()
	if err := driver.ValidateSlot(s, d.maxPayload); err != nil {
		return driver.SlotResult{}, err
	}
	if err := ctx.Err(); err != nil {
		return driver.SlotResult{}, err
	}
	at := driver.SlotMicros(s.At)
	key := scheduleKey(s.Task.Queue, s.Name)
	var res driver.SlotResult
	err = d.updateAndWake(ctx, func(st *store, wake wakeup.Queues) error {
		res = driver.SlotResult{}
		b := st.top.Bucket(bucketSchedules)
		if b == nil {
			return errorf("bucket %q is missing; was it deleted while the driver was open?", bucketSchedules)
		}
		var latest time.Time
		if v := b.Get(key); v != nil {
			if len(v) != scheduleLen {
				return errorf("schedule record of %q is %d bytes, not %d", key, len(v), scheduleLen)
			}
			latest = driver.SlotFromMicros(readTime(v))
		}
		if !latest.IsZero() && at <= latest.UnixMicro() || !driver.Expected(s, latest) {
			res.Latest = latest
			return nil
		}
		now := d.now()
		created := make([]driver.CreateResult, 1)
		if err := d.create(st, now, []driver.NewTask{s.Task}, created, wake, nil); err != nil {
			return err
		}
		r := created[0]
		v := appendTime(make([]byte, 0, scheduleLen), at)
		v = binary.BigEndian.AppendUint64(v, uint64(r.ID))
		v = binary.BigEndian.AppendUint64(v, uint64(now))
		if err := b.Put(key, v); err != nil {
			return err
		}
		res = driver.SlotResult{Created: r.Err == nil, ID: r.ID, Latest: driver.SlotFromMicros(at), Err: r.Err}
		return nil
	})
	if err != nil {
		return driver.SlotResult{}, err
	}
	return res, nil
}

// scheduleLen is the length of a schedule's record: its latest slot, its
// task's ID and when it was written, 8 bytes each.
const scheduleLen = 24

// scheduleKey is the key of a schedule in the schedules bucket: its queue
// and name, apart by a NUL byte, which neither holds.
func scheduleKey(queue, name string) []byte {
	k := make([]byte, 0, len(queue)+1+len(name))
	k = append(k, queue...)
	k = append(k, 0)
	return append(k, name...)
}
