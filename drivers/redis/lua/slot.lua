-- slot.lua: take a schedule's slot and create its task, in one script.
-- The driver runs it after create.lua, which it wraps as the function
-- create_batch, so that the task is created exactly as Create creates it.
-- ARGV: create.lua's for one task (slot, '0', 1, queue, 1, the task's
-- head and options), then the schedule's name, the slot (µs since the
-- epoch), '1' if the caller expects a latest slot (Slot.Expect) else '0',
-- and that slot ('' for none).
-- Reply: 1, the task's ID and OK, or 1, the holder's ID and DUPLICATE,
-- when the slot was taken; 0 and the schedule's latest slot ('' for
-- none) otherwise.
local q, name, at = ARGV[4], ARGV[8], tonumber(ARGV[9])
local expect, expected = ARGV[10] == '1', ARGV[11]
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
local id, code = out[2], DUPLICATE
if not id then
  id, code = id16(out[1] * 16384 + tonumber(ARGV[1])), OK
end
redis.call('HSET', key, name, fmt(at) .. ':' .. id .. ':' .. fmt(now_us()))
return {1, id, code}
