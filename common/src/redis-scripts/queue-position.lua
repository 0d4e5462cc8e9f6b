-- queue-position.lua — an estimate of how many waiting jobs go to a runner before this one,
-- plus one: the owner's earlier jobs, and as many of every other waiting user's as the turns
-- before it give them. A user ahead in the ring gets one turn more than a user behind it; a
-- user at or over their share (see fair-dispatch) waits for everyone under theirs.
--
-- KEYS[1] waiting jobs (hash) · KEYS[2] ring of waiting users · KEYS[3] the region's job stream
-- KEYS[4] slots (hash)
-- ARGV[1] key prefix of the per-user wait lists · ARGV[2] owner · ARGV[3] execution id
-- ARGV[4] now, in ms since the epoch
--
-- Returns the position (≥ 1), or 0 when the job is not waiting (handed to a runner, or gone).

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
