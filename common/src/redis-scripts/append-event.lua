-- append-event.lua — appends one event to an execution's stream with the next contiguous `seq`
-- of that execution, optionally deduplicating a runner's report by (attempt, runner seq).
--
-- KEYS[1] the execution's events stream   exec:{id}:events
-- KEYS[2] the execution's report state    exec:{id}:report  (hash: seq, attempt, rseq, result)
-- ARGV[1] event JSON object without seq ("" to record the report without appending anything);
--         it is stored with `"seq":N,` put in front of its first key, never decoded here, so a
--         result event carrying the whole execution costs Redis no JSON work
-- ARGV[2] stream MAXLEN (approximate)
-- ARGV[3] TTL in seconds of both keys
-- ARGV[4] attempt of the report, or "" when the event does not come from a runner report
-- ARGV[5] runner seq of the report (ignored without ARGV[4])
-- ARGV[6] the event's type (`result` is appended at most once per execution, and no `status`
--         after it)
--
-- When a later attempt reports for the first time after an earlier one did (a reclaimed job runs
-- again from the start), a `status: restarted` event is appended first, so watchers know the
-- output that follows starts over.
--
-- Returns the seq given to the event (> 0), or one of:
--    0  recorded, nothing appended (empty event, a second result, a status after the result)
--   -1  stale: a later attempt has already reported
--   -2  duplicate: this attempt's report with this seq was already recorded

local ttl = tonumber(ARGV[3])
if ARGV[4] ~= '' then
  local attempt = tonumber(ARGV[4])
  local rseq = tonumber(ARGV[5])
  local current = tonumber(redis.call('HGET', KEYS[2], 'attempt') or '0')
  if attempt < current then return -1 end
  if attempt > current then
    redis.call('HSET', KEYS[2], 'attempt', attempt, 'rseq', 0)
    -- A later attempt runs the program again from the start: say so before its output.
    if current > 0 and redis.call('HGET', KEYS[2], 'result') ~= '1' then
      local seq = redis.call('HINCRBY', KEYS[2], 'seq', 1)
      redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'e',
        cjson.encode({ type = 'status', status = 'restarted', seq = seq }))
    end
  end
  local last = tonumber(redis.call('HGET', KEYS[2], 'rseq') or '0')
  if rseq <= last then return -2 end
  redis.call('HSET', KEYS[2], 'rseq', rseq)
end
redis.call('EXPIRE', KEYS[2], ttl)
if ARGV[1] == '' then return 0 end
-- A status (running) after the result would say a finished execution runs again.
if ARGV[6] == 'status' and redis.call('HGET', KEYS[2], 'result') == '1' then return 0 end
if ARGV[6] == 'result' then
  if redis.call('HGET', KEYS[2], 'result') == '1' then return 0 end
  redis.call('HSET', KEYS[2], 'result', '1')
end
local seq = redis.call('HINCRBY', KEYS[2], 'seq', 1)
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'e',
  '{"seq":' .. seq .. ',' .. string.sub(ARGV[1], 2))
redis.call('EXPIRE', KEYS[1], ttl)
return seq
