-- send-stdin.lua — spends an interactive execution's stdin budget and appends the message to its
-- control stream, in one step (two sockets of one user cannot both spend the last bytes).
--
-- KEYS[1] the execution's stdin budget      exec:{id}:stdin   (bytes left; set by the control-plane
--                                                              for interactive executions only)
-- KEYS[2] the execution's report state      exec:{id}:report  (field `result` = 1 once finished)
-- KEYS[3] the execution's control stream    exec:{id}:control
-- ARGV[1] the control message JSON
-- ARGV[2] stdin bytes it carries; -1 for stdin_close (which spends what is left: nothing follows it)
-- ARGV[3] control stream MAXLEN (approximate)
-- ARGV[4] control stream TTL in seconds
--
-- Returns the bytes left (>= 0), or one of sendStdinCodes:
--   -1  finished: the execution has its result
--   -2  not interactive (or its budget expired)
--   -3  over budget: the message has more bytes than are left

if redis.call('HGET', KEYS[2], 'result') == '1' then return -1 end
local left = redis.call('GET', KEYS[1])
if not left then return -2 end
left = tonumber(left)
local bytes = tonumber(ARGV[2])
if bytes < 0 then bytes = left end
if bytes > left then return -3 end
if bytes > 0 then redis.call('DECRBY', KEYS[1], bytes) end
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[3], '*', 'c', ARGV[1])
redis.call('EXPIRE', KEYS[3], ARGV[4])
return left - bytes
