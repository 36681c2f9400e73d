-- retry.lua: move failed or cancelled tasks back to pending, available at
-- once, attempts reset, last error kept, any result dropped. A task whose unique key another
-- pending or running task holds now (taken since, or earlier in this batch)
-- is left as it is.
-- ARGV: task IDs. Reply: per ID, OK, NOT_FOUND, CONFLICT or DUPLICATE.
local now = now_us()
local out = {}
local woken = {}
for i = 1, #ARGV do
  local id = ARGV[i]
  local q, s, pr, uk = unpack(get(id, 'q', 's', 'pr', 'uk'))
  if not q then
    out[#out + 1] = NOT_FOUND
  elseif s ~= 'failed' and s ~= 'cancelled' then
    out[#out + 1] = CONFLICT
  elseif uk ~= '' and redis.call('HEXISTS', qkey(q, 'unique'), uk) == 1 then
    out[#out + 1] = DUPLICATE
  else
    redis.call('ZREM', qkey(q, s), id)
    set(id, 's', 'pending', 'a', '0', 'r', fmt(now), 'l', '0', 'f', '0', 'res', false)
    add_pending(q, id, tonumber(pr), now, now)
    if uk ~= '' then
      redis.call('HSET', qkey(q, 'unique'), uk, id)
    end
    woken[q] = true
    out[#out + 1] = OK
  end
end
for q in pairs(woken) do
  wake(q)
end
return out
