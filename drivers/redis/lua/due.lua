-- due.lua: when each of some queues next has a task to claim.
-- KEYS: the base key of each queue, in the order of ARGV (on a cluster all
-- in one slot; on a single server any). ARGV: the queues. Reply: per queue,
-- in order, microseconds from now until the earliest of its pending tasks'
-- run-at and its running tasks' lease end (0 if that has come, or a lapsed
-- lease waits), or -1 if it has none or is paused. Changes nothing.
--
-- An idle store costs one EXISTS over every queue's keys (a sorted set
-- that is empty does not exist), whatever the number of queues; only if
-- some exist is each queue read.
local function key(i, name) return KEYS[i] .. 'q:' .. ARGV[i] .. ':' .. name end
local function keys_of(i) return key(i, 'paused'), key(i, 'lapsed'), key(i, 'pending'), key(i, 'pendingp'), key(i, 'running') end
local out = {}
local all = {}
for i = 1, #ARGV do
  out[i] = -1
  local a, b, c, d, e = keys_of(i)
  all[#all + 1] = a
  all[#all + 1] = b
  all[#all + 1] = c
  all[#all + 1] = d
  all[#all + 1] = e
end
if #ARGV == 0 or redis.call('EXISTS', unpack(all)) == 0 then
  return out
end
local now = false
for i = 1, #ARGV do
  if redis.call('EXISTS', keys_of(i)) > 0 and redis.call('EXISTS', key(i, 'paused')) == 0 then
    if redis.call('ZCARD', key(i, 'lapsed')) > 0 then
      out[i] = 0
    else
      now = now or now_us()
      local due = -1
      for _, set in ipairs({'pending', 'pendingp', 'running'}) do
        local first = redis.call('ZRANGE', key(i, set), 0, 0, 'WITHSCORES')
        -- A lapsed lease scores +inf in the running set: it was counted above.
        if first[2] and first[2] ~= 'inf' then
          local at = tonumber(first[2])
          if due < 0 or at - now < due then
            due = math.max(0, at - now)
          end
        end
      end
      out[i] = due
    end
  end
end
return out
