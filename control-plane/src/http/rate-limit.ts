import type { Logger } from '@muscode/common';
import { redisKeys, redisScript } from '@muscode/common';
import type { Redis } from 'ioredis';

export interface Bucket {
  /** What is limited: `ip`, `user`, `login`. */
  scope: string;
  subject: string;
  limit: number;
}

export interface RateDecision {
  limit: number;
  remaining: number;
  resetSeconds: number;
  allowed: boolean;
}

export interface RateLimiter {
  /** Counts one request against every bucket; the most restrictive decides. */
  take(buckets: Bucket[]): Promise<RateDecision | null>;
}

type WithCommand = Redis & { muscodeFixedWindow(key: string, windowMs: number): Promise<[number, number]> };

export function createRateLimiter(
  redis: Redis,
  opts: { prefix: string; windowSeconds: number; log: Logger },
): RateLimiter {
  const keys = redisKeys(opts.prefix);
  // fixed-window.lua: INCR and PEXPIRE in one step, so a counter never outlives its window.
  redis.defineCommand('muscodeFixedWindow', redisScript('fixed-window'));
  const r = redis as WithCommand;
  const windowMs = opts.windowSeconds * 1000;
  return {
    async take(buckets) {
      if (buckets.length === 0) return null;
      const window = Math.floor(Date.now() / windowMs);
      let replies: [number, number][];
      try {
        // One script call per bucket: each key may live on its own shard of a cluster.
        replies = await Promise.all(
          buckets.map((b) => r.muscodeFixedWindow(keys.rateLimit(b.scope, b.subject, window), windowMs)),
        );
      } catch (err) {
        // Fail open: an unreachable Redis must not take the whole API down with it.
        opts.log.warn({ err: (err as Error).message }, 'rate limiter unavailable');
        return null;
      }
      let worst: RateDecision | null = null;
      buckets.forEach((b, i) => {
        const [count, ttlMs] = replies[i] ?? [0, windowMs];
        const d: RateDecision = {
          limit: b.limit,
          remaining: Math.max(0, b.limit - count),
          resetSeconds: Math.max(1, Math.ceil(ttlMs / 1000)),
          allowed: count <= b.limit,
        };
        if (
          !worst ||
          (!d.allowed && worst.allowed) ||
          (d.allowed === worst.allowed && d.remaining < worst.remaining)
        ) {
          worst = d;
        }
      });
      return worst;
    },
  };
}
