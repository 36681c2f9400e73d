-- finish.lua: apply outcomes, each fenced by its lease.
-- ARGV: retention (µs), then seven per outcome: task ID, lease token, kind
-- ('complete', 'cancel', 'fail', 'release'), message, release delay (µs),
-- keep attempt ('1' or '0'), result ('' for none; complete only).
-- Reply: per outcome, OK, NOT_FOUND, LEASE_LOST or CONFLICT, decided in the
-- order of the driver package's fencing rule.
--
-- The records are read with one MGET and, for the outcomes that finalise
-- (most), stored with one MSET and indexed with one ZREM and one ZADD per
-- set. An outcome reads the record as the outcomes before it in the call
-- left it, so a second outcome of one lease is a CONFLICT.
local retention = tonumber(ARGV[1])
local now = now_us()
local now_s = fmt(now)
local out = {}
local touched, woken = {}, {}
local final_state = {complete = 'completed', cancel = 'cancelled', fail = 'failed'}
local ids = {}
for i = 2, #ARGV, 7 do
  ids[#ids + 1] = ARGV[i]
end
local cache = {}
read_many(ids, cache)
local b = new_batch()
-- lapsed[q] tells whether any task of q may be in its lapsed sets (one
-- EXISTS per queue); if none is, no outcome needs unlapse_running.
local lapsed = {}
-- keys[q][name] is qkey(q, name), built once per call.
local keys = {}
local function key(q, name)
  local k = keys[q]
  if not k then
    k = {}
    keys[q] = k
  end
  local s = k[name]
  if not s then
    s = qkey(q, name)
    k[name] = s
  end
  return s
end
local function unlapse_if(q, id, pr, r)
  local l = lapsed[q]
  if l == nil then
    l = redis.call('EXISTS', qkey(q, 'lapsed'), qkey(q, 'lapsedprio')) > 0
    lapsed[q] = l
  end
  if l then
    unlapse_running(q, id, pr, r)
  end
end
for i = 2, #ARGV, 7 do
  local id, token, kind, msg = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2], ARGV[i + 3]
  local delay, keep, res = tonumber(ARGV[i + 4]), ARGV[i + 5], ARGV[i + 6]
  local v = cache[id]
  local q, s, tok, uk, pr, a, r0 = v[F_Q], v[F_S], v[F_TOK], v[F_UK], v[F_PR], v[F_A], v[F_R]
  if not q then
    out[#out + 1] = NOT_FOUND
  elseif tonumber(tok) ~= token then
    out[#out + 1] = LEASE_LOST
  elseif s ~= 'running' then
    -- This lease already ended its run: it finalised or released the task.
    out[#out + 1] = CONFLICT
  elseif kind == 'release' then
    unlapse_if(q, id, tonumber(pr), tonumber(r0))
    local r = now + delay
    v[F_S], v[F_R], v[F_L] = 'pending', r, 0
    if msg ~= '' then
      v[F_E] = msg
    end
    if keep == '1' then
      v[F_A] = tonumber(a) - 1
    end
    stage(b, id, v)
    zrem_later(b, key(q, 'running'), id)
    add_pending(q, id, tonumber(pr), r, now)
    if delay == 0 then
      woken[q] = true
    end
    out[#out + 1] = OK
  else
    unlapse_if(q, id, tonumber(pr), tonumber(r0))
    if kind == 'complete' and res ~= '' then
      v[F_RES] = res
    end
    -- As finalize in common.lua, batched.
    local state = final_state[kind]
    v[F_S], v[F_F], v[F_L] = state, now, 0
    if msg ~= '' then
      v[F_E] = msg
    end
    stage(b, id, v)
    zrem_later(b, key(q, 'running'), id)
    zadd_later(b, key(q, state), now_s, id)
    if uk and uk ~= '' then
      local u = qkey(q, 'unique')
      if redis.call('HGET', u, uk) == id then
        redis.call('HDEL', u, uk)
      end
    end
    touched[q] = true
    out[#out + 1] = OK
  end
end
flush_batch(b)
for q in pairs(touched) do
  sweep(q, now, retention)
end
for q in pairs(woken) do
  wake(q)
end
return out
