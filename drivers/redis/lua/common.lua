-- common.lua: the helpers of the scripts that read or change tasks: the
-- task record, the pending and lapsed indexes, finalisation and sweeping.
-- The driver puts it after base.lua.

-- A task is a string key holding the MessagePack array of FIELDS' values
-- in order: numbers (priority, attempts, times, token) as integers, the
-- others as strings, false where absent (no result). A task stored by
-- layout version 1 is a hash of FIELDS; it is read as such and rewritten
-- as a string by its first change.
local NUMERIC = {pr = true, a = true, ma = true, c = true, r = true, l = true, f = true, tok = true}
local INDEX, NUMERIC_AT = {}, {}
for i, name in ipairs(FIELDS) do
  INDEX[name] = i
  NUMERIC_AT[i] = NUMERIC[name] or false
end

-- read returns FIELDS of a task, in order (false where missing; all false
-- if the task does not exist): the numeric ones as numbers, or as decimal
-- strings for a task of layout 1, so callers pass them through tonumber
-- or fmt.
local function read(id)
  local k = task_key(id)
  local raw = redis.pcall('GET', k)
  if type(raw) == 'table' and raw.err then
    local v = redis.call('HMGET', k, unpack(FIELDS))
    v.legacy = true -- indexed as layout 1 indexed a pending task
    return v
  end
  if raw then
    return cmsgpack.unpack(raw)
  end
  local v = {}
  for i = 1, #FIELDS do
    v[i] = false
  end
  return v
end

-- write stores a task's FIELDS values v (in order; false where absent),
-- turning numeric fields given as strings into numbers in v.
local function write(id, v)
  v.legacy = nil
  for i = 1, #FIELDS do
    if type(v[i]) == 'string' and NUMERIC_AT[i] then
      v[i] = tonumber(v[i])
    end
  end
  redis.call('SET', task_key(id), cmsgpack.pack(v))
end

-- get returns the named fields of a task, as HMGET would.
local function get(id, ...)
  local v = read(id)
  local out = {}
  for i, name in ipairs({...}) do
    out[i] = v[INDEX[name]]
  end
  return out
end

-- set changes the named fields of an existing task: name, value pairs,
-- a value of false removing the field.
local function set(id, ...)
  local v = read(id)
  local a = {...}
  for i = 1, #a, 2 do
    v[INDEX[a[i]]] = a[i + 1]
  end
  write(id, v)
end

-- record returns the reply form of a task: its ID then FIELDS in order.
local function record(id)
  local v = read(id)
  table.insert(v, 1, id)
  return v
end

-- add_pending indexes a pending task by run-at for Fifo and Lifo: in the
-- pending set if its priority is 0, else in the pendingp set. A task of
-- another priority is also indexed by priority once due (before that it
-- waits in the delayed set); for Priority, the tasks of priority 0 are read
-- from the pending set, where run-at then ID is their order.
local function add_pending(q, id, pr, r, now)
  if pr == 0 then
    redis.call('ZADD', qkey(q, 'pending'), r, id)
    return
  end
  redis.call('ZADD', qkey(q, 'pendingp'), r, id)
  if r <= now then
    redis.call('ZADD', qkey(q, 'prio'), -pr, prio_member(r, id))
  else
    redis.call('ZADD', qkey(q, 'delayed'), r, id)
  end
end

-- remove_pending takes a pending task out of the pending sets. c, if
-- given, is its creation time: a task whose run-at is not after it was
-- never in the delayed set (add_pending put it there only with a run-at
-- after the time of the call, which is at or after c). legacy says that
-- layout 1 indexed it: in the pending set whatever its priority, and in
-- the delayed or priority set.
local function remove_pending(q, id, pr, r, c, legacy)
  if legacy then
    redis.call('ZREM', qkey(q, 'pending'), id)
    redis.call('ZREM', qkey(q, 'delayed'), id)
    redis.call('ZREM', qkey(q, 'prio'), prio_member(r, id))
    return
  end
  if pr == 0 then
    redis.call('ZREM', qkey(q, 'pending'), id)
    return
  end
  redis.call('ZREM', qkey(q, 'pendingp'), id)
  if not c or r > c then
    redis.call('ZREM', qkey(q, 'delayed'), id)
  end
  redis.call('ZREM', qkey(q, 'prio'), prio_member(r, id))
end

-- A running task whose lease ran out is moved, by the first claim that
-- finds it, into the lapsed sets, which order it as the pending sets would
-- (by run-at for Fifo and Lifo, by -priority and "<run-at>:<ID>" for
-- Priority); its entry in the running set then scores +inf, so that no
-- claim moves it twice. unlapse takes it out of the lapsed sets again, for
-- every call that changes a running task (ping, finish, cancel, claim);
-- unlapse_running does so only if its running entry says it lapsed (one
-- read instead of two removals, for a task that most often did not).
local function lapse(q, id, pr, r)
  redis.call('ZADD', qkey(q, 'running'), '+inf', id)
  redis.call('ZADD', qkey(q, 'lapsed'), r, id)
  redis.call('ZADD', qkey(q, 'lapsedprio'), -pr, prio_member(r, id))
end

local function unlapse(q, id, pr, r)
  redis.call('ZREM', qkey(q, 'lapsed'), id)
  redis.call('ZREM', qkey(q, 'lapsedprio'), prio_member(r, id))
end

local function unlapse_running(q, id, pr, r)
  if redis.call('ZSCORE', qkey(q, 'running'), id) == 'inf' then
    unlapse(q, id, pr, r)
  end
end

-- finalize moves a pending or running task (already taken out of the
-- pending sets by the caller) to a final state, in one write. msg, if not
-- empty, becomes the last error; uk is the task's unique key, released if
-- the task holds it; tok, if not nil, is the task's new lease token; v, if
-- given, is the task's record as read (it is changed and written).
local function finalize(q, id, state, now, msg, uk, tok, v)
  v = v or read(id)
  v[F_S], v[F_F], v[F_L] = state, now, 0
  if msg ~= '' then
    v[F_E] = msg
  end
  if tok then
    v[F_TOK] = tok
  end
  write(id, v)
  redis.call('ZREM', qkey(q, 'running'), id)
  redis.call('ZADD', qkey(q, state), now, id)
  if uk and uk ~= '' then
    local u = qkey(q, 'unique')
    if redis.call('HGET', u, uk) == id then
      redis.call('HDEL', u, uk)
    end
  end
end

-- delete removes a final task, its payload key if it has one, and its
-- index entries.
local function delete(q, id, state)
  redis.call('DEL', task_key(id), payload_key(id))
  redis.call('ZREM', qkey(q, state), id)
  redis.call('ZREM', qkey(q, 'all'), id)
end

-- sweep deletes a bounded number of q's final tasks older than the
-- retention (microseconds; zero or less keeps them), so that memory stays
-- bounded without a background job.
local function sweep(q, now, retention)
  if retention <= 0 then
    return
  end
  local cutoff = now - retention
  for _, st in ipairs(FINAL) do
    local ids = redis.call('ZRANGEBYSCORE', qkey(q, st), '-inf', cutoff, 'LIMIT', 0, 16)
    for _, id in ipairs(ids) do
      delete(q, id, st)
    end
  end
end

-- Batched reads and writes, for the scripts that change many tasks in a
-- call (claim, finish): one MGET for the records and one MSET, ZADD or
-- ZREM per set for the changes, instead of commands per task, which cost
-- the server most of such a call.
--
-- read_many reads the tasks ids into cache (id -> FIELDS as read returns
-- them): one MGET, then read for those it did not return (a task of
-- layout 1, a hash, or one that does not exist).
local function read_many(ids, cache)
  local want, keys = {}, {}
  for _, id in ipairs(ids) do
    if cache[id] == nil then
      want[#want + 1] = id
      keys[#keys + 1] = task_key(id)
    end
  end
  for i = 1, #keys, 1000 do
    local raws = redis.call('MGET', unpack(keys, i, math.min(i + 999, #keys)))
    for k, raw in ipairs(raws) do
      local id = want[i + k - 1]
      if cache[id] == nil then -- an ID may come twice
        if raw then
          cache[id] = cmsgpack.unpack(raw)
        else
          cache[id] = read(id)
        end
      end
    end
  end
end

-- A batch of writes: records to store (task key -> position in sets),
-- and members to add to or remove from sorted sets.
local function new_batch()
  return {mset = {}, at = {}, zadd = {}, zrem = {}}
end

-- stage packs the task's FIELDS v now (the caller may change v after)
-- for the batch's MSET, and returns the packed record; a task staged
-- twice is stored as last staged.
local function stage(b, id, v)
  if v.legacy then
    -- Read from a hash, whose numbers are strings (the callers set
    -- numbers as numbers).
    v.legacy = nil
    for i = 1, #FIELDS do
      if type(v[i]) == 'string' and NUMERIC_AT[i] then
        v[i] = tonumber(v[i])
      end
    end
  end
  local k = task_key(id)
  local at = b.at[k]
  if not at then
    at = #b.mset + 1
    b.at[k] = at
    b.mset[at] = k
  end
  local packed = cmsgpack.pack(v)
  b.mset[at + 1] = packed
  return packed
end

local function batch_add(list, key, a, c)
  local t = list[key]
  if not t then
    t = {}
    list[key] = t
  end
  t[#t + 1] = a
  if c then
    t[#t + 1] = c
  end
end

-- zadd_later and zrem_later queue a sorted set's change; score is a
-- string (a number would be formatted with %.17g and parsed again).
local function zadd_later(b, key, score, member)
  batch_add(b.zadd, key, score, member)
end

local function zrem_later(b, key, member)
  batch_add(b.zrem, key, member)
end

-- call_chunks runs cmd on key (nil for none) with the values of list, at
-- most 1000 at a time (unpack has a bound on how many values it returns);
-- step is how many values make one item.
local function call_chunks(cmd, key, list, step)
  local per = 1000 - 1000 % step
  for i = 1, #list, per do
    local j = math.min(i + per - 1, #list)
    if key then
      redis.call(cmd, key, unpack(list, i, j))
    else
      redis.call(cmd, unpack(list, i, j))
    end
  end
end

-- flush_batch sends the batch: the records first, then removals, then
-- additions (a batch never removes what it adds).
local function flush_batch(b)
  call_chunks('MSET', nil, b.mset, 2)
  for key, m in pairs(b.zrem) do
    call_chunks('ZREM', key, m, 1)
  end
  for key, a in pairs(b.zadd) do
    call_chunks('ZADD', key, a, 2)
  end
end
