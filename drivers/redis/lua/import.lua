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
local BEFORE = 5
local slot, retention = tonumber(ARGV[1]), tonumber(ARGV[2])
local now = now_us()
local out, woken, touched = {}, {}, {}
for j = 3, #ARGV, 14 do
  local origin, oid, q, payload, pr, uk, s = ARGV[j], ARGV[j + 1], ARGV[j + 2], ARGV[j + 3], tonumber(ARGV[j + 4]), ARGV[j + 5], ARGV[j + 6]
  local a, ma, e, c, r, f, res = tonumber(ARGV[j + 7]), tonumber(ARGV[j + 8]), ARGV[j + 9], tonumber(ARGV[j + 10]), tonumber(ARGV[j + 11]), tonumber(ARGV[j + 12]), ARGV[j + 13]
  local origins, field = qkey(q, 'origins'), oid .. ':' .. origin
  local before = redis.call('HGET', origins, field)
  local holder = false
  if not before and s == 'pending' and uk ~= '' then
    holder = redis.call('HGET', qkey(q, 'unique'), uk)
  end
  if before then
    out[#out + 1] = before
    out[#out + 1] = BEFORE
  elseif holder then
    out[#out + 1] = holder
    out[#out + 1] = DUPLICATE
  else
    local n = redis.call('INCR', BASE .. 'seq') * 16384 + slot
    local id = id16(n)
    if res == '' then
      res = false
    end
    redis.call('SET', task_key(id), cmsgpack.pack({q, payload, pr, uk, s, a, ma, e, c, r, 0, f, 0, res}))
    redis.call('ZADD', qkey(q, 'all'), n, id)
    if s == 'pending' then
      -- remove_pending (common.lua) takes a task out of the delayed set
      -- only if its run-at is after its created-at, which holds for the
      -- tasks that create.lua put there. A task created on its origin
      -- with a created-at that is still ahead of this server's clock, and
      -- a run-at not after it, was due when it was created: it is
      -- indexed as due, so that it is never left in the delayed set.
      local at = now
      if r > now and r <= c then
        at = r
      end
      add_pending(q, id, pr, r, at)
      if uk ~= '' then
        redis.call('HSET', qkey(q, 'unique'), uk, id)
      end
      if r <= now then
        woken[q] = true
      end
    else
      redis.call('ZADD', qkey(q, s), f, id)
      touched[q] = true
    end
    redis.call('HSET', origins, field, id)
    out[#out + 1] = id
    out[#out + 1] = OK
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
