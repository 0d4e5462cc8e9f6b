import { sql } from 'slonik';
import { z } from 'zod';
import type { JobGrading, JobLimits } from '@muscode/common';
import type { Db } from '../../infra/db.js';

const stuckRow = z.object({
  id: z.string(),
  user_id: z.string(),
  language: z.string(),
  language_version: z.string().nullable(),
  sandbox_image: z.string().nullable(),
  region: z.string(),
  status: z.string(),
  attempt: z.number(),
  source: z.array(
    z.object({ path: z.string(), content: z.string(), encoding: z.enum(['utf8', 'base64']).optional() }),
  ),
  main_file: z.string(),
  limits: z.record(z.string(), z.unknown()),
  grading: z.record(z.string(), z.unknown()).nullable(),
  stdin: z.instanceof(Buffer).nullable(),
  age_ms: z.number(),
});
export type StuckRow = Omit<z.infer<typeof stuckRow>, 'limits' | 'grading'> & {
  limits: JobLimits;
  grading: JobGrading | null;
};

export function createSweeperRepo(db: Db) {
  return {
    /** Executions queued or running for longer than `olderThanMs`, oldest first. */
    async findStuck(olderThanMs: number, limit: number): Promise<readonly StuckRow[]> {
      const rows = await db.any(sql.type(stuckRow)`
        SELECT id, user_id, language, language_version, sandbox_image, region, status, attempt, source, main_file, limits, grading, stdin,
               (extract(epoch FROM now() - created_at) * 1000)::float8 AS age_ms
        FROM executions
        WHERE status IN ('queued', 'running')
          AND created_at < now() - make_interval(secs => ${olderThanMs / 1000})
        ORDER BY created_at
        LIMIT ${limit}`);
      return rows.map((r) => ({
        ...r,
        limits: r.limits as JobLimits,
        grading: r.grading as JobGrading | null,
      }));
    },

    /**
     * Puts a lost execution back to queued with a higher attempt, so results of the lost
     * delivery and of the new one are fenced apart. Fenced on the attempt seen: false if the
     * execution moved on meanwhile.
     */
    async requeue(id: string, seenAttempt: number, newAttempt: number): Promise<boolean> {
      const r = await db.query(sql.unsafe`
        UPDATE executions SET status = 'queued', attempt = ${newAttempt}
        WHERE id = ${id} AND status IN ('queued', 'running') AND attempt = ${seenAttempt}`);
      return r.rowCount > 0;
    },

    /** Ends an execution as internal_error with a message, unless it finished meanwhile. */
    async fail(id: string, seenAttempt: number, message: string): Promise<boolean> {
      const r = await db.query(sql.unsafe`
        UPDATE executions SET status = 'internal_error', message = ${message}, completed_at = now()
        WHERE id = ${id} AND status IN ('queued', 'running') AND attempt = ${seenAttempt}`);
      return r.rowCount > 0;
    },
  };
}

export type SweeperRepo = ReturnType<typeof createSweeperRepo>;
