-- 0001_layout.lua: the first key layout (see the package doc). It records
-- the owner and version of the prefix in the meta hash; the per-slot and
-- per-queue keys are created as tasks arrive.
-- KEYS[1]: the meta key. ARGV: this migration's version (1), the newest
-- version the running code knows.
-- Reply: the version the prefix is at afterwards.
local meta = KEYS[1]
local version, newest = tonumber(ARGV[1]), tonumber(ARGV[2])
local kind = redis.call('TYPE', meta)['ok']
if kind ~= 'none' and kind ~= 'hash' then
  return redis.error_reply('GOSK_FOREIGN key ' .. meta .. ' is a ' .. kind .. ', not a gosk layout record')
end
local layout, current = unpack(redis.call('HMGET', meta, 'layout', 'version'))
if kind == 'hash' and layout ~= 'gosk-redis' then
  return redis.error_reply('GOSK_FOREIGN key ' .. meta .. ' holds a hash that gosk did not write')
end
current = tonumber(current) or 0
if current > newest then
  return redis.error_reply('GOSK_NEWER layout version ' .. current .. ' is newer than this code knows (' .. newest .. ')')
end
if current == version - 1 then
  redis.call('HSET', meta, 'layout', 'gosk-redis', 'version', version)
  return version
end
return current
