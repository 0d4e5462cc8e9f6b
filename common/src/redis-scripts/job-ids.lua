-- job-ids.lua — the execution ids of one page of a region's job stream.
--
-- KEYS[1]  a region's job stream;  ARGV[1] start id (exclusive form allowed);  ARGV[2] count
-- Returns  { last entry id read, entries read, execution ids }: the ids only, so that knowing
-- which executions are queued never moves the jobs' code and stdin over the network. Entries
-- written before the id field existed are read from their job JSON. The id field is `exec`
-- (`jobIdField` in control-plane/src/infra/streams.ts; fair-dispatch.lua writes it).

local entries = redis.call('XRANGE', KEYS[1], ARGV[1], '+', 'COUNT', tonumber(ARGV[2]))
local ids = {}
local last = ''
for _, e in ipairs(entries) do
  last = e[1]
  local f = e[2]
  local id = nil
  for j = 1, #f, 2 do
    if f[j] == 'exec' then id = f[j + 1] break end
  end
  if not id then
    for j = 1, #f, 2 do
      if f[j] == 'job' then
        local ok, job = pcall(cjson.decode, f[j + 1])
        if ok and type(job) == 'table' and type(job.executionId) == 'string' then id = job.executionId end
        break
      end
    end
  end
  if id then ids[#ids + 1] = id end
end
return { last, #entries, ids }
