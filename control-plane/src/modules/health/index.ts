import { Elysia } from 'elysia';
import type { Redis } from 'ioredis';
import { sql } from 'slonik';
import { optionalCaller } from '../../http/auth-guard.js';
import type { Db } from '../../infra/db.js';
import type { ObjectStore } from '../../infra/object-store/index.js';
import type { TokenService } from '../auth/tokens.js';
import { answers } from '../../http/answers.js';
import type { RunnerRegistry } from '../runners/registry.js';
import { healthAnswer } from './model.js';

async function check(probe: () => Promise<unknown>, timeoutMs = 1000): Promise<'up' | 'down'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
      }),
    ]);
    return 'up';
  } catch {
    return 'down';
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `GET /health`: real checks of the database, Redis, the object store and the runner fleet; 503 unless all up.
 * Anyone gets `up` or `degraded`; administrators (an admin access token) also get each service
 * and the live runners with their load, which are not for the public.
 */
export function healthRoutes(
  db: Db,
  redis: Redis,
  runners: RunnerRegistry,
  tokens: TokenService,
  objects: ObjectStore,
) {
  return new Elysia().get(
    '/health',
    async ({ set, headers }) => {
      const caller = await optionalCaller(headers, tokens).catch(() => null);
      const [database, redisState, storage] = await Promise.all([
        check(() => db.oneFirst(sql.unsafe`SELECT 1`)),
        check(() => redis.ping()),
        check(() => objects.ping(), 2000),
      ]);
      const live = redisState === 'up' ? await runners.live().catch(() => []) : [];
      // An agent whose Docker Engine does not answer beats with the reason and takes no jobs.
      const runnersState = live.some((r) => !r.unhealthy) ? 'up' : 'down';
      const healthy = database === 'up' && redisState === 'up' && storage === 'up' && runnersState === 'up';
      set.status = healthy ? 200 : 503;
      const timestamp = new Date().toISOString();
      if (caller?.role !== 'admin') return { status: healthy ? 'up' : 'degraded', timestamp };
      return {
        status: healthy ? 'up' : 'degraded',
        timestamp,
        services: {
          database,
          redis: redisState,
          // The object store's kind (s3 or fs) and whether its bucket or directory answers.
          storage: { kind: objects.kind, status: storage },
          // Up while at least one live agent's Docker Engine answers.
          docker: runnersState,
          runners: runnersState,
        },
        runners: live.map((r) => ({
          id: r.runnerId,
          region: r.region,
          capacity: r.capacity,
          running: r.running,
          healthy: !r.unhealthy,
          ...(r.unhealthy ? { reason: r.unhealthy } : {}),
        })),
      };
    },
    { detail: answers({ 200: healthAnswer, 503: healthAnswer }) },
  );
}
