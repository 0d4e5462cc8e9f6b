import { sql } from 'slonik';
import type { Db } from '../../infra/db.js';

export function createAdmissionRepo(db: Db) {
  return {
    /** Executions of a user that are queued or running now. */
    async activeCount(userId: string): Promise<number> {
      return db.oneFirst(sql.unsafe`
        SELECT count(*)::int FROM executions
        WHERE user_id = ${userId} AND status IN ('queued', 'running')`) as Promise<number>;
    },
  };
}

export type AdmissionRepo = ReturnType<typeof createAdmissionRepo>;
