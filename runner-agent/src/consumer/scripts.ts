import type { Redis } from 'ioredis';
import { redisScript, type RedisScriptName } from '@muscode/common';

/**
 * Redis state changes of the job stream (common/src/redis-scripts: ack-if-owner.lua,
 * renew-leases.lua, dead-letter.lua), each atomic and guarded by ownership: an agent only changes
 * an entry that is pending to it, so a slow agent whose job was reclaimed cannot acknowledge (and
 * so lose) the new owner's attempt. They return scriptCodes.ownedEntry (renew-leases a count).
 */
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
  const run = async (name: RedisScriptName, keys: string[], argv: (string | number)[]) =>
    Number(await redis.eval(redisScript(name).lua, keys.length, ...keys, ...argv));
  return {
    ackIfOwner: (stream, group, consumer, id) => run('ack-if-owner', [stream], [group, consumer, id]),
    renewLeases: (stream, group, consumer, ids) =>
      ids.length === 0 ? Promise.resolve(0) : run('renew-leases', [stream], [group, consumer, ...ids]),
    deadLetter: (stream, dead, a) =>
      run('dead-letter', [stream, dead], [a.group, a.consumer, a.id, a.reason, a.attempts, a.job, a.maxLen]),
  };
}
