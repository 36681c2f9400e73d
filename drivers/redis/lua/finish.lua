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
  local q, s, tok, uk, pr, a, r0 = unpack(get(id, 'q', 's', 'tok', 'uk', 'pr', 'a', 'r'))
  if not q then
    out[#out + 1] = NOT_FOUND
  elseif tonumber(tok) ~= token then
    out[#out + 1] = LEASE_LOST
  elseif s ~= 'running' then
    -- This lease already ended its run: it finalised or released the task.
    out[#out + 1] = CONFLICT
  elseif kind == 'release' then
    unlapse(q, id, tonumber(pr), tonumber(r0))
    local r = now + delay
    local fields = {'s', 'pending', 'r', fmt(r), 'l', '0'}
    if msg ~= '' then
      fields[#fields + 1] = 'e'
      fields[#fields + 1] = msg
    end
    if keep == '1' then
      fields[#fields + 1] = 'a'
      fields[#fields + 1] = fmt(tonumber(a) - 1)
    end
    set(id, unpack(fields))
    redis.call('ZREM', qkey(q, 'running'), id)
    add_pending(q, id, tonumber(pr), r, now)
    if delay == 0 then
      woken[q] = true
    end
    out[#out + 1] = OK
  else
    unlapse(q, id, tonumber(pr), tonumber(r0))
    finalize(q, id, final_state[kind], now, msg, uk, nil)
    if kind == 'complete' and res ~= '' then
      set(id, 'res', res)
    end
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
