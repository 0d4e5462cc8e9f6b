/**
 * fair-dispatch.lua — moves waiting jobs of a region into its job stream, fairly across users,
 * never more than the region's free runner slots. Optionally enqueues one job first.
 *
 * A region's waiting jobs are a hash (execution id → job JSON), one FIFO list of execution ids
 * per user, and a ring (list) of the users that have waiting jobs. The job stream holds only
 * what runners run or are about to start (an entry is deleted once its result is in), so the
 * stream's length is the slots in use and each entry's `owner` field says whose job holds one.
 * The capacity is the sum of the slots live, healthy agents announced with their heartbeats.
 *
 * Each user may hold at most max(1, floor(capacity / active users)) slots, active users being
 * those with a job waiting or holding a slot; users take turns in ring order. Nothing running
 * is ever preempted: a user who had the region alone keeps their started jobs, and the next
 * slot that frees goes to a waiting user under their share.
 *
 * KEYS[1] the region's job stream   · KEYS[2] waiting jobs (hash)
 * KEYS[3] ring of waiting users     · KEYS[4] slots (hash: runner id → "capacity:expiresAtMs")
 * ARGV[1] key prefix of the per-user wait lists (the user id follows)
 * ARGV[2] now, in ms since the epoch
 * ARGV[3] "enqueue" to enqueue ARGV[4..6] first, else ""
 * ARGV[4] execution id · ARGV[5] owner (user id) · ARGV[6] job JSON
 *
 * Returns the number of jobs moved into the job stream.
 */
export const fairDispatchScript = `
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
`;

/**
 * queue-position.lua — an estimate of how many waiting jobs go to a runner before this one,
 * plus one: the owner's earlier jobs, and as many of every other waiting user's as the turns
 * before it give them. A user ahead in the ring gets one turn more than a user behind it; a
 * user at or over their share (see fair-dispatch) waits for everyone under theirs.
 *
 * KEYS[1] waiting jobs (hash) · KEYS[2] ring of waiting users · KEYS[3] the region's job stream
 * KEYS[4] slots (hash)
 * ARGV[1] key prefix of the per-user wait lists · ARGV[2] owner · ARGV[3] execution id
 * ARGV[4] now, in ms since the epoch
 *
 * Returns the position (≥ 1), or 0 when the job is not waiting (handed to a runner, or gone).
 */
export const queuePositionScript = `
if redis.call('HEXISTS', KEYS[1], ARGV[3]) == 0 then return 0 end
local mine = redis.call('LPOS', ARGV[1] .. ARGV[2], ARGV[3])
if not mine then return 0 end
local now = tonumber(ARGV[4])
local capacity = 0
local slots = redis.call('HGETALL', KEYS[4])
for i = 1, #slots, 2 do
  local cap, exp = string.match(slots[i + 1], '^(%d+):(%d+)$')
  if cap and tonumber(exp) > now then capacity = capacity + tonumber(cap) end
end
local held, active, users = {}, {}, 0
for _, e in ipairs(redis.call('XRANGE', KEYS[3], '-', '+', 'COUNT', 10000)) do
  local f = e[2]
  for j = 1, #f, 2 do
    if f[j] == 'owner' then
      local u = f[j + 1]
      held[u] = (held[u] or 0) + 1
      if not active[u] then active[u] = true; users = users + 1 end
    end
  end
end
local ring = redis.call('LRANGE', KEYS[2], 0, -1)
for _, u in ipairs(ring) do
  if not active[u] then active[u] = true; users = users + 1 end
end
local share = math.max(1, math.floor(capacity / math.max(1, users)))
local over = function(u) return (held[u] or 0) >= share end
local ahead, behind = 0, false
for _, u in ipairs(ring) do
  if u == ARGV[2] then
    behind = true
  else
    local first = not over(u) and (over(ARGV[2]) or not behind)
    local turns = first and mine + 1 or mine
    ahead = ahead + math.min(redis.call('LLEN', ARGV[1] .. u), turns)
  end
end
return mine + 1 + ahead
`;

/**
 * unqueue.lua — removes a waiting job (its execution was cancelled before a runner took it).
 * KEYS[1] waiting jobs (hash) · KEYS[2] ring · ARGV[1] wait-list prefix · ARGV[2] owner · ARGV[3] id
 * Returns 1 removed, 0 not waiting.
 */
export const unqueueScript = `
if redis.call('HDEL', KEYS[1], ARGV[3]) == 0 then return 0 end
local wait = ARGV[1] .. ARGV[2]
redis.call('LREM', wait, 1, ARGV[3])
if redis.call('LLEN', wait) == 0 then redis.call('LREM', KEYS[2], 0, ARGV[2]) end
return 1
`;
