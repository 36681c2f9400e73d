-- create.lua: store a batch of new tasks of one slot.
-- ARGV: slot, first sequence number ('0': allocate here), count, then six
-- per task: queue, payload, priority, delay (µs), max attempts, unique key.
-- Reply: per task, the ID and OK or DUPLICATE (with the holder's ID).
--
-- The writes go out per 500 tasks as one MSET of the tasks and one
-- variadic ZADD per index of each queue, rather than a command per task
-- and index, which is most of a script's cost. A unique key is checked and
-- taken at once, so a later task of the batch sees an earlier one's.
local slot = tonumber(ARGV[1])
local count = tonumber(ARGV[3])
local seq = tonumber(ARGV[2])
if seq == 0 then
  seq = redis.call('INCRBY', BASE .. 'seq', count) - count + 1
end
local now = now_us()
local out = {}
local woken = {}
local records, idx, held = {}, {}, 0

-- add appends to the arguments of the index named name of queue q.
local function add(q, name, score, member)
  local byname = idx[q]
  if not byname then
    byname = {}
    idx[q] = byname
  end
  local a = byname[name]
  if not a then
    a = {}
    byname[name] = a
  end
  a[#a + 1] = score
  a[#a + 1] = member
end

local function flush()
  if held == 0 then
    return
  end
  redis.call('MSET', unpack(records))
  for q, byname in pairs(idx) do
    for name, a in pairs(byname) do
      redis.call('ZADD', qkey(q, name), unpack(a))
    end
  end
  records, idx, held = {}, {}, 0
end

for i = 0, count - 1 do
  local j = 4 + i * 6
  local q, payload, pr, delay, ma, uk = ARGV[j], ARGV[j + 1], tonumber(ARGV[j + 2]), tonumber(ARGV[j + 3]), tonumber(ARGV[j + 4]), ARGV[j + 5]
  local holder = false
  if uk ~= '' then
    holder = redis.call('HGET', qkey(q, 'unique'), uk)
  end
  if holder then
    out[#out + 1] = holder
    out[#out + 1] = DUPLICATE
  else
    local n = (seq + i) * 16384 + slot
    local id = id16(n)
    local r = now + delay
    records[#records + 1] = task_key(id)
    records[#records + 1] = cmsgpack.pack({q, payload, pr, uk, 'pending', 0, ma, '', now, r, 0, 0, 0, false})
    add(q, 'all', n, id)
    -- As add_pending in common.lua.
    if pr == 0 then
      add(q, 'pending', r, id)
    else
      add(q, 'pendingp', r, id)
      if r <= now then
        add(q, 'prio', -pr, prio_member(r, id))
      else
        add(q, 'delayed', r, id)
      end
    end
    held = held + 1
    if uk ~= '' then
      redis.call('HSET', qkey(q, 'unique'), uk, id)
    end
    if delay == 0 then
      woken[q] = true
    end
    out[#out + 1] = id
    out[#out + 1] = OK
    if held >= 500 then
      flush()
    end
  end
end
flush()
for q in pairs(woken) do
  wake(q)
end
return out
