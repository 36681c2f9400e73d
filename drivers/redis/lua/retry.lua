-- retry.lua: move failed or cancelled tasks back to pending, available at
-- once, attempts reset, last error kept.
-- ARGV: task IDs. Reply: per ID, OK, NOT_FOUND or CONFLICT.
local now = now_us()
local out = {}
local woken = {}
for i = 1, #ARGV do
  local id = ARGV[i]
  local tk = task_key(id)
  local q, s, pr, uk = unpack(redis.call('HMGET', tk, 'q', 's', 'pr', 'uk'))
  if not q then
    out[#out + 1] = NOT_FOUND
  elseif s ~= 'failed' and s ~= 'cancelled' then
    out[#out + 1] = CONFLICT
  else
    redis.call('ZREM', qkey(q, s), id)
    redis.call('HSET', tk, 's', 'pending', 'a', '0', 'r', fmt(now), 'l', '0', 'f', '0')
    add_pending(q, id, tonumber(pr), now, now)
    if uk ~= '' then
      -- Take the unique key back unless another live task holds it now.
      redis.call('HSETNX', qkey(q, 'unique'), uk, id)
    end
    woken[q] = true
    out[#out + 1] = OK
  end
end
for q in pairs(woken) do
  wake(q)
end
return out
