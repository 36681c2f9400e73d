package redis

import (
	"context"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/gosk/gosk/driver"
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
	return backdate.Run(ctx, d.client, []string{d.keys.base(idSlot(id))}, idString(id), age.Microseconds()).Err()
}

// backdate is Backdate's script: ARGV task ID, age (µs).
var backdate = goredis.NewScript(mustRead("lua/base.lua") + mustRead("lua/common.lua") + `
local id, age = ARGV[1], tonumber(ARGV[2])
local q, s, f = unpack(get(id, 'q', 's', 'f'))
if not f or tonumber(f) == 0 then
  return redis.error_reply('task ' .. id .. ' is not final (state ' .. tostring(s) .. ')')
end
local at = tonumber(f) - age
set(id, 'f', fmt(at))
redis.call('ZADD', qkey(q, s), at, id)
return 1
`)

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

// ToLayout1 rewrites task id as layout version 1 stored it: a hash of its
// fields, and, if it is pending and due, indexed in the pending set
// whatever its priority and in the priority set.
func ToLayout1(ctx context.Context, d *Driver, id int64) error {
	return toLayout1.Run(ctx, d.client, []string{d.keys.base(idSlot(id))}, idString(id)).Err()
}

var toLayout1 = goredis.NewScript(mustRead("lua/base.lua") + mustRead("lua/common.lua") + `
local id = ARGV[1]
local v = read(id)
local k = task_key(id)
redis.call('DEL', k)
for i, name in ipairs(FIELDS) do
  if v[i] then
    redis.call('HSET', k, name, v[i])
  end
end
local q, pr, r = v[F_Q], tonumber(v[F_PR]), tonumber(v[F_R])
if v[F_S] == 'pending' and r <= now_us() then
  redis.call('ZREM', qkey(q, 'pendingp'), id)
  redis.call('ZADD', qkey(q, 'pending'), r, id)
  redis.call('ZADD', qkey(q, 'prio'), -pr, prio_member(r, id))
end
return 1
`)

// TaskKey is the key of task id.
func TaskKey(d *Driver, id int64) string { return d.keys.task(id) }

// CreateUnstaged runs the create call for tasks, all of one slot, as Create
// would, but without setting the payloads it stages first, as when those
// SETs failed or their keys expired.
func CreateUnstaged(ctx context.Context, d *Driver, tasks []driver.NewTask) error {
	idx := make([]int, len(tasks))
	for i := range idx {
		idx[i] = i
	}
	c := d.createCall(d.keys.queueSlot(tasks[0].Queue), 0, tasks, idx, true)
	c.stage = nil
	_, err := d.run(ctx, []call{c})
	return err
}

// PayloadKeys returns the keys under which d keeps payloads apart from
// their records and the keys of payloads staged for a create call, on a
// single server.
func PayloadKeys(ctx context.Context, d *Driver) (kept, staged []string, err error) {
	c, ok := d.client.(*goredis.Client)
	if !ok {
		return nil, nil, fmt.Errorf("PayloadKeys: client %T is not a single server's", d.client)
	}
	if kept, err = c.Keys(ctx, d.keys.prefix+"{*}p:*").Result(); err != nil {
		return nil, nil, err
	}
	staged, err = c.Keys(ctx, d.keys.prefix+"{*}n:*").Result()
	return kept, staged, err
}
