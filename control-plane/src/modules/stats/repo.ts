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
  storage_charged_bytes: z.coerce.number(),
});

export function createStatsRepo(db: Db) {
  return {
    /** The caller's numbers, counted from the tables (the schema's user_statistics view). */
    async forUser(userId: string) {
      return db.maybeOne(sql.type(statsRow)`
        SELECT s.total_executions::int AS total_executions,
               s.total_projects::int AS total_projects,
               s.total_stars::int AS total_stars,
               -- Files, plus artifacts while they are stored: both count against the quota.
               (s.storage_bytes + (SELECT coalesce(sum(a.size_bytes), 0) FROM execution_artifacts a
                                   WHERE a.user_id = s.id AND a.state = 'stored'))::float8 AS storage_bytes,
               s.execution_ms_today::float8 AS execution_ms_today,
               CASE WHEN q.last_reset_daily < current_date THEN 0 ELSE q.executions_today END AS executions_today,
               q.max_executions_daily, q.max_storage_mb, q.storage_used_bytes::float8 AS storage_charged_bytes
        FROM user_statistics s JOIN user_quotas q ON q.user_id = s.id
        WHERE s.id = ${userId}`);
    },
  };
}

export type StatsRepo = ReturnType<typeof createStatsRepo>;
