-- slot.lua: take a schedule's slot and create its task, in one script.
-- The driver runs it after create.lua, which it wraps as the function
-- create_batch, so that the task is created exactly as Create creates it.
-- ARGV: create.lua's for one task (slot, '0', 1, then the task's six
-- fields), then the schedule's name, the slot (µs since the epoch), '1'
-- if the caller expects a latest slot (Slot.Expect) else '0', and that
-- slot ('' for none).
-- Reply: 1, the task's ID and OK, or 1, the holder's ID and DUPLICATE,
-- when the slot was taken; 0 and the schedule's latest slot ('' for
-- none) otherwise.
local q, name, at = ARGV[4], ARGV[10], tonumber(ARGV[11])
local expect, expected = ARGV[12] == '1', ARGV[13]
local key = qkey(q, 'schedules')
local rec = redis.call('HGET', key, name)
local latest = ''
if rec then
  latest = string.match(rec, '^(-?%d+):')
  if at <= tonumber(latest) then
    return {0, latest}
  end
end
if expect and latest ~= expected then
  return {0, latest}
end
local out = create_batch()
redis.call('HSET', key, name, fmt(at) .. ':' .. out[1] .. ':' .. fmt(now_us()))
return {1, out[1], out[2]}
