-- cancel.lua: cancel pending or running tasks from outside. The task's
-- lease token goes up, so the holder of its last lease (running, or one
-- that released it) gets LEASE_LOST, not CONFLICT: that lease did not
-- finalise the task.
-- ARGV: retention (µs), then task IDs. Reply: per ID, OK, NOT_FOUND or
-- CONFLICT.
local retention = tonumber(ARGV[1])
local now = now_us()
local out = {}
local touched = {}
for i = 2, #ARGV do
  local id = ARGV[i]
  local v = read(id)
  local q, s, pr, r, uk, tok = v[F_Q], v[F_S], v[F_PR], v[F_R], v[F_UK], v[F_TOK]
  if not q then
    out[#out + 1] = NOT_FOUND
  elseif s == 'pending' then
    remove_pending(q, id, tonumber(pr), tonumber(r), tonumber(v[F_C]), v.legacy)
    finalize(q, id, 'cancelled', now, '', uk, tonumber(tok) + 1)
    touched[q] = true
    out[#out + 1] = OK
  elseif s == 'running' then
    unlapse_running(q, id, tonumber(pr), tonumber(r))
    finalize(q, id, 'cancelled', now, '', uk, tonumber(tok) + 1)
    touched[q] = true
    out[#out + 1] = OK
  else
    out[#out + 1] = CONFLICT
  end
end
for q in pairs(touched) do
  sweep(q, now, retention)
end
return out
