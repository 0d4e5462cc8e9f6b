import { Elysia, t } from 'elysia';
import { errors } from '../../errors.js';
import { authenticate } from '../../http/auth-guard.js';
import type { TokenService } from '../auth/tokens.js';
import { answers, data } from '../../http/answers.js';
import { runnerAnswer } from './model.js';
import type { RunnerRegistry } from './registry.js';

/** `GET /runners` (admin role only): the fleet, with live, draining and gone agents. */
export function runnerRoutes(runners: RunnerRegistry, tokens: TokenService) {
  return new Elysia().get(
    '/runners',
    async ({ headers }) => {
      const caller = await authenticate(headers, tokens);
      if (caller.role !== 'admin') throw errors.forbidden('Only administrators can list runners.');
      const all = await runners.all();
      return {
        success: true,
        data: all.map((r) => ({
          id: r.runnerId,
          state: r.state,
          /** Why an `unhealthy` agent takes no jobs (its container runtime does not answer). */
          unhealthy: r.unhealthy ?? null,
          region: r.region,
          hostname: r.hostname,
          hostId: r.hostId ?? null,
          capacity: r.capacity,
          running: r.running,
          languages: r.languages,
          pools: r.pools ?? [],
          lastHeartbeatAt: new Date(r.seenAt).toISOString(),
        })),
      };
    },
    { detail: answers({ 200: data(t.Array(runnerAnswer)) }) },
  );
}
