-- finish.lua: apply outcomes, each fenced by its lease.
-- ARGV: retention (µs), then seven per outcome: task ID, lease token, kind
-- ('complete', 'cancel', 'fail', 'release'), message, release delay (µs),
-- keep attempt ('1' or '0'), result ('' for none; complete only).
-- Reply: per outcome, OK, NOT_FOUND, LEASE_LOST or CONFLICT, decided in the
-- order of the driver package's fencing rule.
local retention = tonumber(ARGV[1])
local now = now_us()
local out = {}
local touched, woken = {}, {}
local final_state = {complete = 'completed', cancel = 'cancelled', fail = 'failed'}
for i = 2, #ARGV, 7 do
  local id, token, kind, msg = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2], ARGV[i + 3]
  local delay, keep, res = tonumber(ARGV[i + 4]), ARGV[i + 5], ARGV[i + 6]
  local v = read(id)
  local q, s, tok, uk, pr, a, r0 = v[F_Q], v[F_S], v[F_TOK], v[F_UK], v[F_PR], v[F_A], v[F_R]
  if not q then
    out[#out + 1] = NOT_FOUND
  elseif tonumber(tok) ~= token then
    out[#out + 1] = LEASE_LOST
  elseif s ~= 'running' then
    -- This lease already ended its run: it finalised or released the task.
    out[#out + 1] = CONFLICT
  elseif kind == 'release' then
    unlapse_running(q, id, tonumber(pr), tonumber(r0))
    local r = now + delay
    v[F_S], v[F_R], v[F_L] = 'pending', r, 0
    if msg ~= '' then
      v[F_E] = msg
    end
    if keep == '1' then
      v[F_A] = tonumber(a) - 1
    end
    write(id, v)
    redis.call('ZREM', qkey(q, 'running'), id)
    add_pending(q, id, tonumber(pr), r, now)
    if delay == 0 then
      woken[q] = true
    end
    out[#out + 1] = OK
  else
    unlapse_running(q, id, tonumber(pr), tonumber(r0))
    if kind == 'complete' and res ~= '' then
      v[F_RES] = res
    end
    finalize(q, id, final_state[kind], now, msg, uk, nil, v)
    touched[q] = true
    out[#out + 1] = OK
  end
end
for q in pairs(touched) do
  sweep(q, now, retention)
end
for q in pairs(woken) do
  wake(q)
end
return out
