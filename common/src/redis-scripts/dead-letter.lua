-- dead-letter.lua — moves an entry that failed too often (or cannot be parsed) to the dead-letter
-- stream with the reason, and removes it from the job stream.
-- Guarded by ownership: an agent only changes an entry that is pending to it, so a slow agent
-- whose job was reclaimed cannot acknowledge (and so lose) the new owner's attempt.
-- KEYS[1] jobs stream · KEYS[2] dead-letter stream
-- ARGV[1] group · ARGV[2] consumer · ARGV[3] entry id · ARGV[4] reason · ARGV[5] attempts
-- ARGV[6] job payload · ARGV[7] dead-letter max length (approximate)
-- Returns 1 moved, 0 pending to another consumer (left alone), -1 not pending.

local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1)
if #p == 0 then return -1 end
if p[1][2] ~= ARGV[2] then return 0 end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[7], '*',
  'source_id', ARGV[3], 'reason', ARGV[4], 'attempts', ARGV[5], 'consumer', ARGV[2], 'job', ARGV[6])
redis.call('XACK', KEYS[1], ARGV[1], ARGV[3])
redis.call('XDEL', KEYS[1], ARGV[3])
return 1
