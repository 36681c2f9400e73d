-- import.lua: store tasks copied from another store, of one slot, each at
-- most once per origin task (driver.Importer). A task is written as
-- create.lua writes a new one and indexed as the scripts index a task in
-- its state: a pending task in the pending sets by its run-at (and its
-- unique key taken), a final one in its state's set by its finalisation
-- time, which retention and Admin.Purge go by. Each origin task imported
-- into a queue is recorded in the queue's origins hash (field "<origin
-- task ID>:<origin>", value the task's ID), which nothing deletes, in the
-- queue's slot like every key of the queue.
-- ARGV: slot, retention (µs; see sweep), then 14 per task: origin, origin
-- task ID, queue, payload, priority, unique key, state, attempt, max
-- attempts, last error, created-at, run-at, finalised-at (µs since the
-- epoch; 0 while pending), result ('' for none).
-- Reply: per task, an ID and a code: OK (stored as that ID), DUPLICATE (not
-- stored, nor its origin recorded: that ID holds its unique key) or BEFORE
-- (imported as that ID before).
--
-- The first pass decides each task's fate, the second draws the IDs of the
-- tasks to store with one INCRBY and writes them as create.lua does: one
-- MSET of the records and one variadic command per index of each queue.
local BEFORE = 5
local N = 14
local slot, retention = tonumber(ARGV[1]), tonumber(ARGV[2])
local now = now_us()

-- Pass 1. fate[k] is the ID imported before, or {holder = ID} for a key
-- held in the store, or {first = k'} for a key taken by task k' of this
-- batch, or true for a task to store.
local fate, stored = {}, 0
local taken = {} -- queue NUL key -> the task of this batch that takes it
local count = (#ARGV - 2) / N
for k = 1, count do
  local j = 3 + (k - 1) * N
  local q, uk, s = ARGV[j + 2], ARGV[j + 5], ARGV[j + 6]
  local before = redis.call('HGET', qkey(q, 'origins'), ARGV[j + 1] .. ':' .. ARGV[j])
  if before then
    fate[k] = before
  else
    fate[k] = true
    if s == 'pending' and uk ~= '' then
      local t = q .. '\0' .. uk
      if taken[t] then
        fate[k] = {first = taken[t]}
      else
        local holder = redis.call('HGET', qkey(q, 'unique'), uk)
        if holder then
          fate[k] = {holder = holder}
        else
          taken[t] = k
        end
      end
    end
    if fate[k] == true then
      stored = stored + 1
    end
  end
end

-- Pass 2.
local seq = 0
if stored > 0 then
  seq = redis.call('INCRBY', BASE .. 'seq', stored) - stored
end
local ids, records, idx = {}, {}, {}
local woken, touched = {}, {}

-- add appends to the arguments of the index named name of queue q.
local function add(q, name, a, b)
  local byname = idx[q]
  if not byname then
    byname = {}
    idx[q] = byname
  end
  local args = byname[name]
  if not args then
    args = {}
    byname[name] = args
  end
  args[#args + 1] = a
  args[#args + 1] = b
end

for k = 1, count do
  if fate[k] == true then
    local j = 3 + (k - 1) * N
    local origin, oid, q, payload, pr, uk, s = ARGV[j], ARGV[j + 1], ARGV[j + 2], ARGV[j + 3], tonumber(ARGV[j + 4]), ARGV[j + 5], ARGV[j + 6]
    local a, ma, e, c, r, f, res = tonumber(ARGV[j + 7]), tonumber(ARGV[j + 8]), ARGV[j + 9], tonumber(ARGV[j + 10]), tonumber(ARGV[j + 11]), tonumber(ARGV[j + 12]), ARGV[j + 13]
    seq = seq + 1
    local n = seq * 16384 + slot
    local id = id16(n)
    ids[k] = id
    if res == '' then
      res = false
    end
    records[#records + 1] = task_key(id)
    records[#records + 1] = cmsgpack.pack({q, payload, pr, uk, s, a, ma, e, c, r, 0, f, 0, res})
    add(q, 'all', n, id)
    if s == 'pending' then
      -- As add_pending in common.lua, as of a call at time now; but
      -- remove_pending takes a task out of the delayed set only if its
      -- run-at is after its created-at, which holds for the tasks that
      -- create.lua put there. A task created on its origin with a
      -- created-at still ahead of this server's clock, and a run-at not
      -- after it, was due when it was created: it is indexed as due, so
      -- that it is never left in the delayed set.
      if pr == 0 then
        add(q, 'pending', r, id)
      else
        add(q, 'pendingp', r, id)
        if r <= now or r <= c then
          add(q, 'prio', -pr, prio_member(r, id))
        else
          add(q, 'delayed', r, id)
        end
      end
      if uk ~= '' then
        add(q, '=unique', uk, id)
      end
      if r <= now then
        woken[q] = true
      end
    else
      add(q, s, f, id)
      touched[q] = true
    end
    add(q, '=origins', oid .. ':' .. origin, id)
  end
end
for i = 1, #records, 1000 do
  redis.call('MSET', unpack(records, i, math.min(i + 999, #records)))
end
-- Index names that start with '=' are hashes (field, value); the others
-- sorted sets (score, member).
for q, byname in pairs(idx) do
  for name, args in pairs(byname) do
    local cmd, key = 'ZADD', qkey(q, name)
    if string.sub(name, 1, 1) == '=' then
      cmd, key = 'HSET', qkey(q, string.sub(name, 2))
    end
    for i = 1, #args, 1000 do
      redis.call(cmd, key, unpack(args, i, math.min(i + 999, #args)))
    end
  end
end

local out = {}
for k = 1, count do
  local v = fate[k]
  if v == true then
    out[#out + 1] = ids[k]
    out[#out + 1] = OK
  elseif type(v) == 'table' then
    out[#out + 1] = v.holder or ids[v.first]
    out[#out + 1] = DUPLICATE
  else
    out[#out + 1] = v
    out[#out + 1] = BEFORE
  end
end
-- As finish.lua: the queues that got final tasks are swept.
for q in pairs(touched) do
  sweep(q, now, retention)
end
for q in pairs(woken) do
  wake(q)
end
return out
