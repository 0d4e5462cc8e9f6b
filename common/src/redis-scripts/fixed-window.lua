-- fixed-window.lua — counts one request against a rate-limit bucket.
--
-- KEYS[1]  counter of one bucket in the current fixed window
-- ARGV[1]  window length in milliseconds
-- Returns  { count after this request, milliseconds until the window ends }
--
-- INCR and PEXPIRE in one script, so a counter never outlives its window, whatever instance of
-- the control-plane counts (all of them share the key).

local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return { count, ttl }
