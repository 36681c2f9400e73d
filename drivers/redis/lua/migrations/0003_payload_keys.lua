-- 0003_payload_keys.lua: a payload of 1 KiB or more is kept under a key of
-- its own, B + "p:" + ID, and its task's record holds false for it (see
-- the package doc). Tasks stored before keep their payloads in their
-- records, which stay readable, so nothing is converted here; the version
-- goes up so that older code, which would read such a task's payload as
-- empty and leave its key behind when deleting it, refuses the prefix.
-- KEYS[1]: the meta key. ARGV: this migration's version (3), the newest
-- version the running code knows.
-- Reply: the version the prefix is at afterwards.
local meta = KEYS[1]
local version, newest = tonumber(ARGV[1]), tonumber(ARGV[2])
local current = tonumber(redis.call('HGET', meta, 'version')) or 0
if current > newest then
  return redis.error_reply('GOSK_NEWER layout version ' .. current .. ' is newer than this code knows (' .. newest .. ')')
end
if current == version - 1 then
  redis.call('HSET', meta, 'version', version)
  return version
end
return current
