-- claim.lua: lease up to n available tasks of one queue.
-- ARGV: queue, n, rule ('fifo', 'lifo', 'priority'), lease (µs),
-- retention (µs), lease-expired message.
-- Reply: the claimed tasks' records (see common.lua), expired leases first,
-- then in rule order.
local q, n, rule = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local lease, retention, expired_msg = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
local now = now_us()
local running = qkey(q, 'running')
local out = {}

-- take leases the task id, whose FIELDS are v; from_pending says it is in
-- the pending sets (not an expired lease in the running set).
local function take(id, v, from_pending)
  if from_pending then
    remove_pending(q, id, tonumber(v[F_PR]), tonumber(v[F_R]))
  end
  local until_ = now + lease
  v[F_S], v[F_A], v[F_L], v[F_TOK] = 'running', fmt(tonumber(v[F_A]) + 1), fmt(until_), fmt(tonumber(v[F_TOK]) + 1)
  redis.call('HSET', task_key(id), 's', v[F_S], 'a', v[F_A], 'l', v[F_L], 'tok', v[F_TOK])
  redis.call('ZADD', running, until_, id)
  table.insert(v, 1, id)
  out[#out + 1] = v
end

-- Expired leases: hand them out again, or fail those on their last attempt.
-- The scan is bounded: n to hand out, plus up to 1000 to fail.
local scanned = 0
while #out < n and scanned < n + 1000 do
  local ids = redis.call('ZRANGEBYSCORE', running, '-inf', now, 'LIMIT', 0, n - #out)
  if #ids == 0 then
    break
  end
  for _, id in ipairs(ids) do
    scanned = scanned + 1
    local v = read(id)
    if not v[F_Q] then
      -- The task's hash is gone (deleted by hand, or evicted): drop the
      -- index entries that still name it.
      redis.call('ZREM', running, id)
      redis.call('ZREM', qkey(q, 'all'), id)
    elseif tonumber(v[F_A]) >= tonumber(v[F_MA]) then
      finalize(q, id, 'failed', now, expired_msg, v[F_UK], tonumber(v[F_TOK]) + 1)
    else
      take(id, v, false)
    end
  end
end

if #out < n then
  local k = n - #out
  local ids, members
  if rule == 'fifo' then
    ids = redis.call('ZRANGEBYSCORE', qkey(q, 'pending'), '-inf', now, 'LIMIT', 0, k)
  elseif rule == 'lifo' then
    ids = redis.call('ZREVRANGEBYSCORE', qkey(q, 'pending'), now, '-inf', 'LIMIT', 0, k)
  else
    -- Promote tasks whose run-at has come into the priority set.
    local delayed = qkey(q, 'delayed')
    local due = redis.call('ZRANGEBYSCORE', delayed, '-inf', now, 'LIMIT', 0, 10000)
    for _, id in ipairs(due) do
      local pr, r = unpack(redis.call('HMGET', task_key(id), 'pr', 'r'))
      if pr then
        redis.call('ZADD', qkey(q, 'prio'), -tonumber(pr), prio_member(tonumber(r), id))
      end
      redis.call('ZREM', delayed, id)
    end
    ids = {}
    members = redis.call('ZRANGE', qkey(q, 'prio'), 0, k - 1)
    for i, m in ipairs(members) do
      ids[i] = string.sub(m, 19)
    end
  end
  for i, id in ipairs(ids) do
    local v = read(id)
    if v[F_Q] then
      take(id, v, true)
    else
      -- The task's hash is gone (deleted by hand, or evicted): drop the
      -- index entries that still name it.
      redis.call('ZREM', qkey(q, 'pending'), id)
      redis.call('ZREM', qkey(q, 'delayed'), id)
      redis.call('ZREM', qkey(q, 'all'), id)
      if members then
        redis.call('ZREM', qkey(q, 'prio'), members[i])
      end
    end
  end
end

sweep(q, now, retention)
return out
