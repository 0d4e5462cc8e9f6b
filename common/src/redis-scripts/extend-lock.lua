-- extend-lock.lua — extends the sweeper's lock if this instance holds it.
-- KEYS[1] lock · ARGV[1] owner · ARGV[2] ttl ms
-- Returns 1 if this owner holds the lock (now extended), 0 otherwise.

if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
