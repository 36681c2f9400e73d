package redis

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/internal/storeunit"
)

// createAll stores valid tasks: one script call per slot. It returns each
// task's result and, per task, the error of its slot's call if that call
// failed (nil where it applied); err, if set, means no call applied.
func (d *Driver) createAll(ctx context.Context, tasks []driver.NewTask) (out []driver.CreateResult, failed []error, err error) {
	out = make([]driver.CreateResult, len(tasks))
	failed = make([]error, len(tasks))
	if s, ok := oneSlot(d.keys, tasks); ok {
		// The common case, a batch of one queue (or of queues sharing
		// a slot): one call, and no grouping to do.
		idx := make([]int, len(tasks))
		for i := range idx {
			idx[i] = i
		}
		replies, err := d.run(ctx, []call{d.createCall(s, 0, tasks, idx, true)})
		if err != nil {
			return nil, nil, err
		}
		if err := parseCreate(replies[0], s, idx, out); err != nil {
			return nil, nil, err
		}
		return out, failed, nil
	}
	slots, items := group(len(tasks), func(i int) int { return d.keys.queueSlot(tasks[i].Queue) })
	calls := make([]call, len(slots))
	for j, s := range slots {
		calls[j] = d.createCall(s, 0, tasks, items[s], true)
	}
	_, cluster := d.client.(*goredis.ClusterClient)
	var first error // of the first slot that failed
	applied := 0
	for j, cmd := range d.evalEach(ctx, calls, !cluster) {
		s := slots[j]
		v, err := cmd.Result()
		if err != nil {
			err = translate(err)
			if first == nil {
				first = err
			}
			for _, i := range items[s] {
				failed[i] = err
				out[i] = driver.CreateResult{Err: fmt.Errorf("queue %q not stored: %w", tasks[i].Queue, err)}
			}
			continue
		}
		applied++
		if err := parseCreate(v, s, items[s], out); err != nil {
			// The slot's call applied but its reply cannot be read.
			for _, i := range items[s] {
				out[i] = driver.CreateResult{Err: fmt.Errorf("queue %q: %w", tasks[i].Queue, err)}
			}
		}
	}
	if applied == 0 {
		return nil, nil, first
	}
	return out, failed, nil
}

// oneSlot returns the slot of tasks' queues if they share one.
func oneSlot(k keys, tasks []driver.NewTask) (int, bool) {
	s := k.queueSlot(tasks[0].Queue)
	for i := 1; i < len(tasks); i++ {
		if q := tasks[i].Queue; q != tasks[i-1].Queue && k.queueSlot(q) != s {
			return 0, false
		}
	}
	return s, true
}

// Payloads of at least externalPayloadMin bytes are kept under a key of
// their own (B + "p:" + ID) rather than inside the task's record. The
// scripts that claim, finish and change a task unpack and repack its
// record, and every byte that passes through the server's Lua costs it
// about 2 µs a kilobyte (a 10 KB payload made claim and finish 20 times
// slower than a 100-byte one); a payload kept apart is written once, read
// once by the client (MGET after the claim), and deleted with its task.
// Below the limit, the extra key costs more than the copies it saves.
const externalPayloadMin = 1024

// stagedPayloadTTL is how long a payload staged for a create call (under
// B + "n:" + a random name, set in the same pipeline just before the call)
// lives if the call never takes it: the call renames a staged payload to
// its task's key and removes its expiry, or deletes it if the task is not
// stored (a duplicate).
const stagedPayloadTTL = 10 * time.Minute

// createCall builds the create script call for the tasks at idx, all in
// slot; seq is the first sequence number to use, or 0 to allocate in the
// script. The arguments are create.lua's: runs of tasks of one queue, two
// values per task (see packHead and createOptions). With stage, payloads
// of at least externalPayloadMin bytes are staged (see call.stage) and
// named in KEYS; without it (inside a caller's transaction, or a schedule's
// slot) every payload goes into its record.
func (d *Driver) createCall(slot int, seq int64, tasks []driver.NewTask, idx []int, stage bool) call {
	c := call{script: d.s.create, keys: []string{d.keys.base(slot)}}
	args := make([]any, 0, 5+2*len(idx))
	args = append(args, slot, seq, len(idx))
	for k := 0; k < len(idx); {
		q := tasks[idx[k]].Queue
		end := k + 1
		for end < len(idx) && tasks[idx[end]].Queue == q {
			end++
		}
		args = append(args, q, end-k)
		for _, i := range idx[k:end] {
			t, staged := tasks[i], 0
			if stage && len(t.Payload) >= externalPayloadMin {
				// 128 random bits: no two calls, in any process, stage
				// under one name.
				key := c.keys[0] + "n:" + rand.Text()
				c.keys = append(c.keys, key)
				c.stage = append(c.stage, stagedPayload{key: key, payload: t.Payload})
				staged = len(c.keys) // its index in KEYS, from 1
			}
			args = append(args, packHead(t, staged != 0), createOptions(t, staged))
		}
		k = end
	}
	c.args = args
	return c
}

// createOptions is a task's options for create.lua: "" for priority 0, no
// delay, no staged payload and no unique key (most tasks), else
// "<priority>,<delay µs>,<staged>,<unique key>", where staged is the index
// in KEYS of the task's staged payload, or 0 if its payload is in its head.
func createOptions(t driver.NewTask, staged int) string {
	if t.Priority == 0 && t.Delay == 0 && t.UniqueKey == "" && staged == 0 {
		return ""
	}
	return strconv.Itoa(t.Priority) + "," + strconv.FormatInt(storeunit.Micros(t.Delay), 10) + "," +
		strconv.Itoa(staged) + "," + t.UniqueKey
}

// uniqueKeyOf reads the unique key back from createOptions's form.
func uniqueKeyOf(opts string) string {
	parts := strings.SplitN(opts, ",", 4)
	if len(parts) < 4 {
		return ""
	}
	return parts[3]
}

// packHead is the start of t's record as create.lua stores it, packed as
// Lua's cmsgpack packs the array of FIELDS: the array's header and the
// fields before c (q, p, pr, uk, s 'pending', a 0, ma, e empty). Packing it
// here spares the server the work for every task. With staged, p is false:
// the payload is kept under the task's payload key.
func packHead(t driver.NewTask, staged bool) []byte {
	b := make([]byte, 0, 40+len(t.Queue)+len(t.Payload)+len(t.UniqueKey))
	b = append(b, 0x90|byte(len(recordFields)))
	b = packStr(b, t.Queue)
	if staged {
		b = append(b, 0xc2) // false
	} else {
		b = packStr(b, t.Payload)
	}
	b = packInt(b, int64(t.Priority))
	b = packStr(b, t.UniqueKey)
	b = packStr(b, string(driver.StatePending))
	b = packInt(b, 0)
	b = packInt(b, int64(t.MaxAttempts))
	return packStr(b, "")
}

// packStr appends s as cmsgpack packs a Lua string: fixstr, str8, str16
// or str32, the shortest that fits.
func packStr[T string | []byte](b []byte, s T) []byte {
	n := len(s)
	switch {
	case n < 32:
		b = append(b, 0xa0|byte(n))
	case n <= 0xff:
		b = append(b, 0xd9, byte(n))
	case n <= 0xffff:
		b = append(b, 0xda)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b = append(b, 0xdb)
		b = binary.BigEndian.AppendUint32(b, uint32(n))
	}
	return append(b, s...)
}

// packInt appends n as cmsgpack packs an integral Lua number: the
// shortest of fixint, (u)int8, 16, 32 and 64, unsigned when n >= 0.
func packInt(b []byte, n int64) []byte {
	switch {
	case n >= 0 && n <= 0x7f:
		return append(b, byte(n))
	case n >= 0 && n <= 0xff:
		return append(b, 0xcc, byte(n))
	case n >= 0 && n <= 0xffff:
		return binary.BigEndian.AppendUint16(append(b, 0xcd), uint16(n))
	case n >= 0 && n <= 0xffffffff:
		return binary.BigEndian.AppendUint32(append(b, 0xce), uint32(n))
	case n >= 0:
		return binary.BigEndian.AppendUint64(append(b, 0xcf), uint64(n))
	case n >= -32:
		return append(b, byte(int8(n)))
	case n >= -128:
		return append(b, 0xd0, byte(int8(n)))
	case n >= -32768:
		return binary.BigEndian.AppendUint16(append(b, 0xd1), uint16(int16(n)))
	case n >= -2147483648:
		return binary.BigEndian.AppendUint32(append(b, 0xd2), uint32(int32(n)))
	default:
		return binary.BigEndian.AppendUint64(append(b, 0xd3), uint64(n))
	}
}

// parseCreate reads create.lua's reply for the tasks at idx, all in slot:
// the first sequence number, alone if every task was stored, else followed
// by per task 0 (stored) or the ID of the task that holds its unique key.
func parseCreate(reply any, slot int, idx []int, out []driver.CreateResult) error {
	v, ok := reply.([]any)
	if !ok || len(v) != 1 && len(v) != 1+len(idx) {
		return fmt.Errorf("gosk/redis: create script replied %T of %d items for %d tasks", reply, len(v), len(idx))
	}
	seq, ok := v[0].(int64)
	if !ok {
		return fmt.Errorf("gosk/redis: create script replied %T for a sequence number", v[0])
	}
	for k, i := range idx {
		if len(v) == 1 {
			out[i] = driver.CreateResult{ID: (seq+int64(k))<<slotBits | int64(slot)}
			continue
		}
		if code, ok := v[1+k].(int64); ok && code == 0 {
			out[i] = driver.CreateResult{ID: (seq+int64(k))<<slotBits | int64(slot)}
			continue
		}
		holder, err := parseID(v[1+k])
		if err != nil {
			return err
		}
		out[i] = driver.CreateResult{ID: holder, Err: driver.ErrDuplicate}
	}
	return nil
}

func parseID(v any) (int64, error) {
	s, ok := v.(string)
	if !ok {
		return 0, fmt.Errorf("gosk/redis: script replied %T for a task ID", v)
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("gosk/redis: bad task ID %q from script: %w", s, err)
	}
	return id, nil
}
