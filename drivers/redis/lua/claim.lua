-- claim.lua: lease up to n available tasks of one queue.
-- ARGV: queue, n, rule ('fifo', 'lifo', 'priority'), lease (µs),
-- retention (µs), lease-expired message.
-- Reply: per claimed task, in rule order, its ID and its record as
-- stored (packed; the driver unpacks it).
local q, n, rule = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local lease, retention, expired_msg = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
local now = now_us()
local running = qkey(q, 'running')
local out = {}
-- The claimed tasks' records go out in one MSET, and their index changes
-- in one ZREM and one ZADD per set (see new_batch in common.lua).
local b = new_batch()

-- A paused queue hands out nothing and changes nothing.
if redis.call('EXISTS', qkey(q, 'paused')) == 1 then
  return out
end

-- take leases the task id, whose FIELDS are v; from says which sets it is
-- taken out of: 'pending' (the pending sets) or 'lapsed' (the lapsed sets,
-- a lease that ran out).
local until_ = now + lease
local until_s = fmt(until_)
local pending = qkey(q, 'pending')
local function take(id, v, from)
  local pr, r = tonumber(v[F_PR]), tonumber(v[F_R])
  if from ~= 'pending' then
    unlapse(q, id, pr, r)
  elseif pr == 0 and not v.legacy then
    zrem_later(b, pending, id) -- as remove_pending
  else
    remove_pending(q, id, pr, r, tonumber(v[F_C]), v.legacy)
  end
  v[F_S], v[F_A], v[F_L], v[F_TOK] = 'running', tonumber(v[F_A]) + 1, until_, tonumber(v[F_TOK]) + 1
  out[#out + 1] = id
  out[#out + 1] = stage(b, id, v)
  zadd_later(b, running, until_s, id)
end

-- Leases that ran out since the last claim of the queue: one on its
-- task's last attempt is failed (it does not count against n); the others
-- move into the lapsed sets, where they stand as a pending task with their
-- priority, run-at and ID would. Each lapse is moved once.
local now_s = fmt(now)
for _, id in ipairs(redis.call('ZRANGEBYSCORE', running, '-inf', now_s)) do
  local v = read(id)
  if not v[F_Q] then
    -- The task's record is gone (deleted by hand, or evicted): drop the
    -- index entries that still name it.
    redis.call('ZREM', running, id)
    redis.call('ZREM', qkey(q, 'all'), id)
  elseif tonumber(v[F_A]) >= tonumber(v[F_MA]) then
    finalize(q, id, 'failed', now, expired_msg, v[F_UK], tonumber(v[F_TOK]) + 1, v)
  else
    lapse(q, id, tonumber(v[F_PR]), tonumber(v[F_R]))
  end
end

-- Up to n candidates of each kind, in rule order: pending tasks that have
-- come due, and lapsed leases.
-- Pending tasks of priority 0 are in the pending set, the others in the
-- pendingp set (and, due, in the priority set); up to n of each set come,
-- and the rule's order below picks among them. A task that layout 1
-- indexed may be in the pending set whatever its priority, and also in the
-- priority set: it is a candidate once.
local pending_ids, pending_members, lapsed_ids, lapsed_members = {}, {}, nil, nil
local cache = {}
local function fetch(id)
  local v = cache[id]
  if not v then
    v = read(id)
    cache[id] = v
  end
  return v
end
local function append(ids)
  for _, id in ipairs(ids) do
    pending_ids[#pending_ids + 1] = id
  end
end
if rule == 'fifo' then
  append(redis.call('ZRANGEBYSCORE', qkey(q, 'pending'), '-inf', now_s, 'LIMIT', 0, ARGV[2]))
  append(redis.call('ZRANGEBYSCORE', qkey(q, 'pendingp'), '-inf', now_s, 'LIMIT', 0, ARGV[2]))
  lapsed_ids = redis.call('ZRANGE', qkey(q, 'lapsed'), 0, n - 1)
elseif rule == 'lifo' then
  append(redis.call('ZREVRANGEBYSCORE', qkey(q, 'pending'), now_s, '-inf', 'LIMIT', 0, ARGV[2]))
  append(redis.call('ZREVRANGEBYSCORE', qkey(q, 'pendingp'), now_s, '-inf', 'LIMIT', 0, ARGV[2]))
  lapsed_ids = redis.call('ZREVRANGE', qkey(q, 'lapsed'), 0, n - 1)
else
  -- Promote tasks whose run-at has come into the priority set.
  local delayed = qkey(q, 'delayed')
  local due = redis.call('ZRANGEBYSCORE', delayed, '-inf', now, 'LIMIT', 0, 10000)
  for _, id in ipairs(due) do
    local pr, r = unpack(get(id, 'pr', 'r'))
    if pr then
      redis.call('ZADD', qkey(q, 'prio'), -tonumber(pr), prio_member(tonumber(r), id))
    end
    redis.call('ZREM', delayed, id)
  end
  lapsed_ids = {}
  for _, m in ipairs(redis.call('ZRANGE', qkey(q, 'prio'), 0, n - 1)) do
    local id = string.sub(m, 19)
    pending_members[id] = m
    pending_ids[#pending_ids + 1] = id
  end
  -- Up to n tasks of priority 0 from the pending set, past any that
  -- layout 1 put there with another priority (those are in the priority
  -- set too); with layout 2's index alone the first n entries are those.
  local offset, zeros = 0, 0
  while zeros < n do
    local ids = redis.call('ZRANGEBYSCORE', qkey(q, 'pending'), '-inf', now, 'LIMIT', offset, n)
    if #ids == 0 then
      break
    end
    for _, id in ipairs(ids) do
      local v = fetch(id)
      if v[F_Q] and tonumber(v[F_PR]) == 0 then
        zeros = zeros + 1
      end
    end
    append(ids)
    offset = offset + #ids
  end
  lapsed_members = redis.call('ZRANGE', qkey(q, 'lapsedprio'), 0, n - 1)
  for i, m in ipairs(lapsed_members) do
    lapsed_ids[i] = string.sub(m, 19)
  end
end

read_many(pending_ids, cache)
read_many(lapsed_ids, cache)
local candidates = {}
local seen = {}
for _, id in ipairs(pending_ids) do
  if not seen[id] then
    seen[id] = true
    local v = fetch(id)
    if v[F_Q] then
      candidates[#candidates + 1] = {id = id, v = v, from = 'pending'}
    else
      -- The task's record is gone (deleted by hand, or evicted): drop the
      -- index entries that still name it.
      redis.call('ZREM', qkey(q, 'pending'), id)
      redis.call('ZREM', qkey(q, 'pendingp'), id)
      redis.call('ZREM', qkey(q, 'delayed'), id)
      redis.call('ZREM', qkey(q, 'all'), id)
      if pending_members[id] then
        redis.call('ZREM', qkey(q, 'prio'), pending_members[id])
      end
    end
  end
end
for i, id in ipairs(lapsed_ids) do
  local v = fetch(id)
  if v[F_Q] then
    candidates[#candidates + 1] = {id = id, v = v, from = 'lapsed'}
  else
    redis.call('ZREM', qkey(q, 'lapsed'), id)
    redis.call('ZREM', running, id)
    redis.call('ZREM', qkey(q, 'all'), id)
    if lapsed_members then
      redis.call('ZREM', qkey(q, 'lapsedprio'), lapsed_members[i])
    end
  end
end

-- The rule's order over both kinds: run-at then ID (Fifo), the reverse
-- (Lifo), or priority, highest first, then as Fifo. IDs are zero-padded,
-- so they compare as strings.
local function fifo_before(a, b)
  local ra, rb = tonumber(a.v[F_R]), tonumber(b.v[F_R])
  if ra ~= rb then
    return ra < rb
  end
  return a.id < b.id
end
local before = fifo_before
if rule == 'lifo' then
  before = function(a, b) return fifo_before(b, a) end
elseif rule == 'priority' then
  before = function(a, b)
    local pa, pb = tonumber(a.v[F_PR]), tonumber(b.v[F_PR])
    if pa ~= pb then
      return pa > pb
    end
    return fifo_before(a, b)
  end
end
table.sort(candidates, before)
for i = 1, math.min(n, #candidates) do
  local c = candidates[i]
  take(c.id, c.v, c.from)
end

flush_batch(b)
sweep(q, now, retention)
return out
