-- fair-dispatch.lua — moves waiting jobs of a region into its job stream, fairly across users,
-- never more than the region's free runner slots. Optionally enqueues one job first.
--
-- A region's waiting jobs are a hash (execution id → job JSON), one FIFO list of execution ids
-- per user, and a ring (list) of the users that have waiting jobs. The job stream holds only
-- what runners run or are about to start (an entry is deleted once its result is in), so the
-- stream's length is the slots in use and each entry's `owner` field says whose job holds one.
-- The capacity is the sum of the slots live, healthy agents announced with their heartbeats.
--
-- Each user may hold at most max(1, floor(capacity / active users)) slots, active users being
-- those with a job waiting or holding a slot; users take turns in ring order. Nothing running
-- is ever preempted: a user who had the region alone keeps their started jobs, and the next
-- slot that frees goes to a waiting user under their share.
--
-- KEYS[1] the region's job stream   · KEYS[2] waiting jobs (hash)
-- KEYS[3] ring of waiting users     · KEYS[4] slots (hash: runner id → "capacity:expiresAtMs")
-- ARGV[1] key prefix of the per-user wait lists (the user id follows)
-- ARGV[2] now, in ms since the epoch
-- ARGV[3] "enqueue" to enqueue ARGV[4..6] first, else ""
-- ARGV[4] execution id · ARGV[5] owner (user id) · ARGV[6] job JSON
--
-- Returns the number of jobs moved into the job stream.

local now = tonumber(ARGV[2])
if ARGV[3] == 'enqueue' then
  if redis.call('HSETNX', KEYS[2], ARGV[4], ARGV[6]) == 1 then
    if redis.call('RPUSH', ARGV[1] .. ARGV[5], ARGV[4]) == 1 then
      redis.call('RPUSH', KEYS[3], ARGV[5])
    end
  end
end
local n = redis.call('LLEN', KEYS[3])
if n == 0 then return 0 end

local capacity = 0
local slots = redis.call('HGETALL', KEYS[4])
for i = 1, #slots, 2 do
  local cap, exp = string.match(slots[i + 1], '^(%d+):(%d+)$')
  if cap and tonumber(exp) > now then
    capacity = capacity + tonumber(cap)
  else
    redis.call('HDEL', KEYS[4], slots[i])
  end
end
local free = capacity - redis.call('XLEN', KEYS[1])
if free <= 0 then return 0 end

local held, active, users = {}, {}, 0
for _, e in ipairs(redis.call('XRANGE', KEYS[1], '-', '+')) do
  local f = e[2]
  for j = 1, #f, 2 do
    if f[j] == 'owner' then
      local u = f[j + 1]
      held[u] = (held[u] or 0) + 1
      if not active[u] then active[u] = true; users = users + 1 end
    end
  end
end
for _, u in ipairs(redis.call('LRANGE', KEYS[3], 0, -1)) do
  if not active[u] then active[u] = true; users = users + 1 end
end
local share = math.max(1, math.floor(capacity / users))

local moved, stalled = 0, 0
while free > 0 and n > 0 and stalled < n do
  local user = redis.call('LPOP', KEYS[3])
  local wait = ARGV[1] .. user
  if (held[user] or 0) < share then
    local id = redis.call('LPOP', wait)
    if id then
      local job = redis.call('HGET', KEYS[2], id)
      if job then
        redis.call('HDEL', KEYS[2], id)
        redis.call('XADD', KEYS[1], '*', 'job', job, 'owner', user, 'exec', id)
        held[user] = (held[user] or 0) + 1
        free = free - 1
        moved = moved + 1
      end
    end
    stalled = 0
    if redis.call('LLEN', wait) > 0 then
      redis.call('RPUSH', KEYS[3], user)
    else
      n = n - 1
    end
  else
    redis.call('RPUSH', KEYS[3], user)
    stalled = stalled + 1
  end
end
return moved
