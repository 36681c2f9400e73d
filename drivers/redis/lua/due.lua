-- due.lua: when each of some queues of this slot next has a task to claim.
-- ARGV: queues. Reply: per queue, in order, microseconds from now until
-- the earliest of its pending tasks' run-at and its running tasks' lease
-- end (0 if that has come, or a lapsed lease waits), or -1 if it has none
-- or is paused. Changes nothing.
local now = now_us()
local out = {}
for i, q in ipairs(ARGV) do
  local due = -1
  if redis.call('EXISTS', qkey(q, 'paused')) == 0 then
    if redis.call('ZCARD', qkey(q, 'lapsed')) > 0 then
      due = 0
    else
      for _, set in ipairs({'pending', 'running'}) do
        local first = redis.call('ZRANGE', qkey(q, set), 0, 0, 'WITHSCORES')
        -- A lapsed lease scores +inf in the running set: it was counted above.
        if first[2] and first[2] ~= 'inf' then
          local at = tonumber(first[2])
          if due < 0 or at - now < due then
            due = math.max(0, at - now)
          end
        end
      end
    end
  end
  out[i] = due
end
return out
