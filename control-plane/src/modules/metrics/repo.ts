import { sql } from 'slonik';
import { z } from 'zod';
import type { Db } from '../../infra/db.js';

export function createMetricsRepo(db: Db) {
  return {
    /** Executions queued and running now, by status. */
    async activeByStatus(): Promise<readonly { status: string; n: number }[]> {
      return db.any(sql.type(z.object({ status: z.string(), n: z.number() }))`
        SELECT status, count(*)::int AS n FROM executions
        WHERE status IN ('queued', 'running') GROUP BY status`);
    },
  };
}

export type MetricsRepo = ReturnType<typeof createMetricsRepo>;
