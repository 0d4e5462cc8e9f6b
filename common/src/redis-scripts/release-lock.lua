-- release-lock.lua — releases the sweeper's lock if this instance holds it.
-- KEYS[1] lock · ARGV[1] owner
-- Returns 1 released, 0 held by another instance (or expired).

if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
