-- ack-if-owner.lua — the attempt is done (its result reached the control-plane).
-- Guarded by ownership: an agent only changes an entry that is pending to it, so a slow agent
-- whose job was reclaimed cannot acknowledge (and so lose) the new owner's attempt.
-- KEYS[1] jobs stream · ARGV[1] group · ARGV[2] consumer · ARGV[3] entry id
-- Returns 1 acknowledged and deleted, 0 pending to another consumer (left alone),
-- -1 not pending at all (already acknowledged).

local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1)
if #p == 0 then return -1 end
if p[1][2] ~= ARGV[2] then return 0 end
redis.call('XACK', KEYS[1], ARGV[1], ARGV[3])
redis.call('XDEL', KEYS[1], ARGV[3])
return 1
