-- ping.lua: extend leases that still hold.
-- ARGV: extension (µs), then pairs of task ID and lease token.
-- Reply: per lease, OK, NOT_FOUND or LEASE_LOST.
local extend = tonumber(ARGV[1])
local now = now_us()
local out = {}
for i = 2, #ARGV, 2 do
  local id, token = ARGV[i], tonumber(ARGV[i + 1])
  local q, s, tok, pr, r = unpack(get(id, 'q', 's', 'tok', 'pr', 'r'))
  if not q then
    out[#out + 1] = NOT_FOUND
  elseif tonumber(tok) ~= token or s ~= 'running' then
    out[#out + 1] = LEASE_LOST
  else
    local until_ = now + extend
    unlapse_running(q, id, tonumber(pr), tonumber(r))
    set(id, 'l', fmt(until_))
    redis.call('ZADD', qkey(q, 'running'), until_, id)
    out[#out + 1] = OK
  end
end
return out
