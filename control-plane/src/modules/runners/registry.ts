import type { Redis } from 'ioredis';
import { redisKeys } from '@muscode/common';

export interface RunnerInfo {
  runnerId: string;
  region: string;
  hostname: string;
  capacity: number;
  running: number;
  languages: { languageId: string; version: string }[];
  seenAt: number;
}

/**
 * Live runner agents, kept in Redis with a TTL so every control-plane instance sees the same
 * fleet, and an agent that stops beating disappears by itself.
 */
export function createRunnerRegistry(redis: Redis, opts: { prefix: string; ttlSeconds: number }) {
  const keys = redisKeys(opts.prefix);
  return {
    async beat(info: RunnerInfo): Promise<void> {
      await redis.set(keys.runner(info.runnerId), JSON.stringify(info), 'EX', opts.ttlSeconds);
    },
    async live(): Promise<RunnerInfo[]> {
      const found: string[] = [];
      let cursor = '0';
      do {
        const [next, batch] = await redis.scan(cursor, 'MATCH', keys.runnerPattern(), 'COUNT', 200);
        cursor = next;
        found.push(...batch);
      } while (cursor !== '0');
      if (found.length === 0) return [];
      const values = await redis.mget(...found);
      return values.flatMap((v) => (v ? [JSON.parse(v) as RunnerInfo] : []));
    },
  };
}

export type RunnerRegistry = ReturnType<typeof createRunnerRegistry>;
