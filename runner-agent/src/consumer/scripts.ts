import type { Redis } from 'ioredis';

/**
 * Redis state changes of the job stream, one Lua script per transition, each atomic.
 * Every script is guarded by ownership: an agent only changes an entry that is pending to it,
 * so a slow agent whose job was reclaimed cannot acknowledge (and so lose) the new owner's
 * attempt.
 */

/**
 * ack-if-owner: the attempt is done (its result reached the control-plane).
 * KEYS[1] jobs stream · ARGV[1] group · ARGV[2] consumer · ARGV[3] entry id
 * Returns 1 acknowledged and deleted, 0 pending to another consumer (left alone),
 * -1 not pending at all (already acknowledged).
 */
const ackIfOwner = `
local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1)
if #p == 0 then return -1 end
if p[1][2] ~= ARGV[2] then return 0 end
redis.call('XACK', KEYS[1], ARGV[1], ARGV[3])
redis.call('XDEL', KEYS[1], ARGV[3])
return 1
`;

/**
 * renew-leases: resets the idle time of entries this agent is running, so a live agent's long
 * job is not reclaimed. Does not count as a delivery (JUSTID).
 * KEYS[1] jobs stream · ARGV[1] group · ARGV[2] consumer · ARGV[3..] entry ids
 * Returns how many were renewed.
 */
const renewLeases = `
local n = 0
for i = 3, #ARGV do
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1)
  if #p > 0 and p[1][2] == ARGV[2] then
    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'JUSTID')
    n = n + 1
  end
end
return n
`;

/**
 * dead-letter: moves an entry that failed too often (or cannot be parsed) to the dead-letter
 * stream with the reason, and removes it from the job stream.
 * KEYS[1] jobs stream · KEYS[2] dead-letter stream
 * ARGV[1] group · ARGV[2] consumer · ARGV[3] entry id · ARGV[4] reason · ARGV[5] attempts
 * ARGV[6] job payload · ARGV[7] dead-letter max length (approximate)
 * Returns 1 moved, 0 pending to another consumer (left alone), -1 not pending.
 */
const deadLetter = `
local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1)
if #p == 0 then return -1 end
if p[1][2] ~= ARGV[2] then return 0 end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[7], '*',
  'source_id', ARGV[3], 'reason', ARGV[4], 'attempts', ARGV[5], 'consumer', ARGV[2], 'job', ARGV[6])
redis.call('XACK', KEYS[1], ARGV[1], ARGV[3])
redis.call('XDEL', KEYS[1], ARGV[3])
return 1
`;

export interface StreamScripts {
  ackIfOwner(stream: string, group: string, consumer: string, id: string): Promise<number>;
  renewLeases(stream: string, group: string, consumer: string, ids: string[]): Promise<number>;
  deadLetter(
    stream: string,
    dead: string,
    args: {
      group: string;
      consumer: string;
      id: string;
      reason: string;
      attempts: number;
      job: string;
      maxLen: number;
    },
  ): Promise<number>;
}

export function streamScripts(redis: Redis): StreamScripts {
  const run = async (script: string, keys: string[], argv: (string | number)[]) =>
    Number(await redis.eval(script, keys.length, ...keys, ...argv));
  return {
    ackIfOwner: (stream, group, consumer, id) => run(ackIfOwner, [stream], [group, consumer, id]),
    renewLeases: (stream, group, consumer, ids) =>
      ids.length === 0 ? Promise.resolve(0) : run(renewLeases, [stream], [group, consumer, ...ids]),
    deadLetter: (stream, dead, a) =>
      run(deadLetter, [stream, dead], [a.group, a.consumer, a.id, a.reason, a.attempts, a.job, a.maxLen]),
  };
}
