-- unqueue.lua — removes a waiting job (its execution was cancelled before a runner took it).
-- KEYS[1] waiting jobs (hash) · KEYS[2] ring · ARGV[1] wait-list prefix · ARGV[2] owner · ARGV[3] id
-- Returns 1 removed, 0 not waiting.

if redis.call('HDEL', KEYS[1], ARGV[3]) == 0 then return 0 end
local wait = ARGV[1] .. ARGV[2]
redis.call('LREM', wait, 1, ARGV[3])
if redis.call('LLEN', wait) == 0 then redis.call('LREM', KEYS[2], 0, ARGV[2]) end
return 1
