package redis

import (
	"context"
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
