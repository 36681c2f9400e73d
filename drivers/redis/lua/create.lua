-- create.lua: store a batch of new tasks of one slot. It stands alone
-- (no base.lua nor common.lua before it): every Create runs it, and their
-- setup would cost each call more than storing a task does.
-- KEYS[1]: the base key; KEYS[2..]: staged payloads (see options below).
-- ARGV: slot, first sequence number ('0': allocate here), count, then the
-- tasks in runs of one queue: the queue, the run's length, then two per
-- task:
--   - its record's head, packed by the driver: the MessagePack array
--     header and FIELDS up to e (q, p, pr, uk, 'pending', 0, ma, ''),
--     to which the script appends c, r and the rest (l 0, f 0, tok 0,
--     res false), so that the record is what cmsgpack.pack would make;
--   - its options: '' for priority 0, no delay, no staged payload and no
--     unique key, else "<priority>,<delay µs>,<staged>,<unique key>",
--     where staged is 0, or the index in KEYS of the task's payload,
--     staged by the driver just before this call; its head then holds
--     false for p. KEYS[2..] are the staged payloads.
-- Reply: the first sequence number, alone if every task was stored (task
-- i's ID, i counting from 0, is (seq + i)·16384 + slot); else followed by,
-- per task, 0 if it was stored or the ID of the task holding its unique
-- key (DUPLICATE). Most calls store every task, and the short reply spares
-- them building and sending a code per task.
--
-- The writes go out per 500 tasks as one MSET of the records and one
-- variadic ZADD per index of each run, rather than a command per task and
-- index. Numbers go to commands as strings: the server would format a Lua
-- number with %.17g and parse it back. A unique key is checked and taken
-- at once, so a later task of the batch sees an earlier one's.
if redis.replicate_commands then
  redis.replicate_commands()
end
local BASE = KEYS[1]
-- A staged payload that is not there (the driver's SET failed, or it
-- expired) fails the call before it writes anything.
for k = 2, #KEYS do
  if redis.call('EXISTS', KEYS[k]) == 0 then
    return redis.error_reply('GOSK_STAGED staged payload ' .. KEYS[k] .. ' is missing: nothing was stored')
  end
end
local slot, count, seq = tonumber(ARGV[1]), tonumber(ARGV[3]), tonumber(ARGV[2])
if seq == 0 then
  seq = redis.call('INCRBY', BASE .. 'seq', ARGV[3]) - count + 1 -- the count as a string (see above)
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local fmt, pack, match = string.format, cmsgpack.pack, string.match
local now_s, now_pk = fmt('%d', now), pack(now)
local TAIL = '\0\0\0\194' -- l 0, f 0, tok 0, res false
local out -- the codes, from the first duplicate on (nil until then)
local records, nrec = {}, 0

-- One run's index arguments: all (every task by ID) and pending (due or
-- not, priority 0) in arrays, the rarer indexes by name (nil while none).
local q, qbase, all, pend, other

local function flush()
  redis.call('MSET', unpack(records))
  records, nrec = {}, 0
  redis.call('ZADD', qbase .. 'all', unpack(all))
  all = {}
  if pend[1] then
    redis.call('ZADD', qbase .. 'pending', unpack(pend))
    pend = {}
  end
  if other then
    for name, a in pairs(other) do
      redis.call('ZADD', qbase .. name, unpack(a))
    end
    other = nil
  end
end

local function add(name, score, member)
  other = other or {}
  local a = other[name]
  if not a then
    a = {}
    other[name] = a
  end
  a[#a + 1] = score
  a[#a + 1] = member
end

local i, j = 0, 4
while i < count do
  q = ARGV[j]
  qbase = BASE .. 'q:' .. q .. ':'
  all, pend = {}, {}
  local woken = false
  local run = tonumber(ARGV[j + 1])
  j = j + 2
  for _ = 1, run do
    local head, opts = ARGV[j], ARGV[j + 1]
    j = j + 2
    local pr, delay, staged, uk = 0, 0, 0, ''
    if opts ~= '' then
      pr, delay, staged, uk = match(opts, '^(-?%d+),(%d+),(%d+),(.*)$')
      pr, delay, staged = tonumber(pr), tonumber(delay), tonumber(staged)
    end
    local holder = false
    if uk ~= '' then
      holder = redis.call('HGET', qbase .. 'unique', uk)
    end
    if holder then
      if not out then
        out = {seq}
        for k = 2, i + 1 do
          out[k] = 0
        end
      end
      out[#out + 1] = holder
      if staged ~= 0 then
        redis.call('DEL', KEYS[staged])
      end
    else
      local id = fmt('%016d', (seq + i) * 16384 + slot)
      local r, r_s, r_pk = now, now_s, now_pk
      if delay ~= 0 then
        r = now + delay
        r_s, r_pk = fmt('%d', r), pack(r)
      else
        woken = true
      end
      nrec = nrec + 2
      records[nrec - 1] = BASE .. 't:' .. id
      records[nrec] = head .. now_pk .. r_pk .. TAIL
      all[#all + 1] = id
      all[#all + 1] = id
      -- As add_pending in common.lua.
      if pr == 0 then
        pend[#pend + 1] = r_s
        pend[#pend + 1] = id
      else
        add('pendingp', r_s, id)
        if r <= now then
          add('prio', fmt('%d', -pr), fmt('%017d', r) .. ':' .. id)
        else
          add('delayed', r_s, id)
        end
      end
      if uk ~= '' then
        redis.call('HSET', qbase .. 'unique', uk, id)
      end
      if staged ~= 0 then
        -- The payload's key, as payload_key in base.lua: a rename moves
        -- the value without copying it.
        local pk = BASE .. 'p:' .. id
        redis.call('RENAME', KEYS[staged], pk)
        redis.call('PERSIST', pk)
      end
      if out then
        out[#out + 1] = 0
      end
      if nrec >= 1000 then
        flush()
      end
    end
    i = i + 1
  end
  if nrec > 0 then
    flush()
  end
  if woken then
    redis.call('PUBLISH', qbase .. 'wake', '1')
  end
end
return out or {seq}
