-- renew-leases.lua — resets the idle time of entries this agent is running, so a live agent's long
-- job is not reclaimed. Does not count as a delivery (JUSTID).
-- KEYS[1] jobs stream · ARGV[1] group · ARGV[2] consumer · ARGV[3..] entry ids
-- Returns how many were renewed.

local n = 0
for i = 3, #ARGV do
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1)
  if #p > 0 and p[1][2] == ARGV[2] then
    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'JUSTID')
    n = n + 1
  end
end
return n
