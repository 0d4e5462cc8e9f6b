import { Elysia } from 'elysia';
import { errors } from '../../errors.js';
import { authenticate } from '../../http/auth-guard.js';
import type { TokenService } from '../auth/tokens.js';
import { answers, data } from '../../http/answers.js';
import { statsAnswer } from './model.js';
import type { StatsRepo } from './repo.js';

const round2 = (n: number) => Math.round(n * 100) / 100;

/** `GET /stats`: the caller's real numbers, as the spec shows them, plus their quotas. */
export function statsRoutes(repo: StatsRepo, tokens: TokenService) {
  return new Elysia().get(
    '/stats',
    async ({ headers }) => {
      const caller = await authenticate(headers, tokens);
      const s = await repo.forUser(caller.userId);
      if (!s) throw errors.unauthorized();
      return {
        success: true,
        data: {
          totalExecutions: s.total_executions,
          totalProjects: s.total_projects,
          totalStars: s.total_stars,
          /** MB held by the files of live projects. */
          storageUsed: round2(s.storage_bytes / 1048576),
          storageUsedBytes: s.storage_bytes,
          /** Seconds of program wall time today (UTC). */
          executionTimeToday: round2(s.execution_ms_today / 1000),
          quota: {
            executionsToday: s.executions_today,
            maxExecutionsDaily: s.max_executions_daily,
            maxStorageMb: s.max_storage_mb,
            /** Bytes charged to maxStorageMb: live projects' files plus deleted ones' until purged. */
            storageChargedBytes: s.storage_charged_bytes,
          },
        },
      };
    },
    { detail: answers({ 200: data(statsAnswer) }) },
  );
}
