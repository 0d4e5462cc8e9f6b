import { sql } from 'slonik';
import { z } from 'zod';
import type { Db } from '../../infra/db.js';

const statsRow = z.object({
  total_executions: z.coerce.number(),
  total_projects: z.coerce.number(),
  total_stars: z.coerce.number(),
  storage_bytes: z.coerce.number(),
  execution_ms_today: z.coerce.number(),
  executions_today: z.coerce.number(),
  max_executions_daily: z.coerce.number(),
  max_storage_mb: z.coerce.number(),
});

export function createStatsRepo(db: Db) {
  return {
    /** The caller's numbers, counted from the tables (the schema's user_statistics view). */
    async forUser(userId: string) {
      return db.maybeOne(sql.type(statsRow)`
        SELECT s.total_executions::int AS total_executions,
               s.total_projects::int AS total_projects,
               s.total_stars::int AS total_stars,
               s.storage_bytes::float8 AS storage_bytes,
               s.execution_ms_today::float8 AS execution_ms_today,
               CASE WHEN q.last_reset_daily < current_date THEN 0 ELSE q.executions_today END AS executions_today,
               q.max_executions_daily, q.max_storage_mb
        FROM user_statistics s JOIN user_quotas q ON q.user_id = s.id
        WHERE s.id = ${userId}`);
    },
  };
}

export type StatsRepo = ReturnType<typeof createStatsRepo>;
