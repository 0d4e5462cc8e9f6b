import { Redis } from 'ioredis';
import type { Logger } from '@muscode/common';

/** How long a command may wait for Redis's answer before the request fails (503). */
export const redisCommandTimeoutMs = 1000;

/**
 * A Redis client that reconnects by itself and fails fast while Redis is away: no offline
 * queue (a command sent while disconnected is rejected at once instead of waiting for the
 * outage to end) and a per-command timeout (a Redis that accepts connections but does not
 * answer, or a network that drops packets). Requests map those errors to 503 + Retry-After.
 * Connections that block (XREAD BLOCK) come from `blockingConnection`, without the timeout.
 */
export function createRedis(url: string, log: Logger): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    commandTimeout: redisCommandTimeoutMs,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  redis.on('error', (err: Error) => log.warn({ err: err.message }, 'redis error'));
  return redis;
}

/**
 * A new connection for a reader that blocks (XREAD BLOCK): no command timeout (a block is a
 * long command by design). It queues its first commands until it has connected, but gives up
 * after one reconnect attempt, so a reader during an outage fails instead of waiting unseen.
 */
export function blockingConnection(redis: Redis): Redis {
  return redis.duplicate({ commandTimeout: undefined, enableOfflineQueue: true, maxRetriesPerRequest: 1 });
}
