-- base.lua: the constants and key helpers every script of the driver
-- uses; the driver prepends this file to each script before loading it
-- (but create.lua, which stands alone), and common.lua after it to the
-- scripts that read or change tasks (a script that needs less skips
-- common.lua, whose setup costs the server about 4 us per call).
--
-- KEYS[1] of every script is the base key "<prefix>{<tag>}": all keys the
-- script touches start with it, so they share one hash slot (Redis Cluster
-- runs the script on the node owning that slot). Numbers that go into keys,
-- members or replies are formatted with %d: Lua's tostring would print
-- microsecond timestamps in exponent form.

-- Servers before Redis 5 replicate scripts verbatim and refuse writes
-- after TIME unless told to replicate effects; later ones always do.
if redis.replicate_commands then
  redis.replicate_commands()
end

local BASE = KEYS[1]
local FIELDS = {'q', 'p', 'pr', 'uk', 's', 'a', 'ma', 'e', 'c', 'r', 'l', 'f', 'tok', 'res'}
local FINAL = {'completed', 'cancelled', 'failed'}

-- Codes of per-item results.
local OK, NOT_FOUND, LEASE_LOST, CONFLICT, DUPLICATE = 0, 1, 2, 3, 4

local function now_us()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end

local function fmt(n) return string.format('%d', n) end
local function id16(n) return string.format('%016d', n) end

local function task_key(id) return BASE .. 't:' .. id end
-- payload_key holds a task's payload when its record's p is false (see
-- externalPayloadMin in create.go).
local function payload_key(id) return BASE .. 'p:' .. id end
local function qkey(q, name) return BASE .. 'q:' .. q .. ':' .. name end

-- prio_member orders tasks of equal priority by run-at, then ID.
local function prio_member(r, id) return string.format('%017d', r) .. ':' .. id end

-- Positions of FIELDS in a read of them.
local F_Q, F_P, F_PR, F_UK, F_S, F_A, F_MA, F_E, F_C, F_R, F_L, F_F, F_TOK, F_RES = 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14

local function wake(q)
  redis.call('PUBLISH', qkey(q, 'wake'), '1')
end
