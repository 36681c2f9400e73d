-- 0002_packed_tasks.lua: tasks become strings holding their fields packed
-- as one MessagePack array (see the package doc) instead of hashes, which
-- a payload over 64 bytes turned into hash tables of about 1 KB. Tasks
-- stored as hashes stay readable and are rewritten by their next change,
-- so nothing is converted here; the version goes up so that older code,
-- which cannot read the strings, refuses the prefix.
-- KEYS[1]: the meta key. ARGV: this migration's version (2), the newest
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
