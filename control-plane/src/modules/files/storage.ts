import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';

/**
 * Changes the user's stored bytes by `delta` inside the caller's transaction, refusing growth
 * past max_storage_mb. One UPDATE checks and changes it under the row's lock, so concurrent
 * writes cannot together overshoot the quota. Returns false when it would.
 */
export async function changeStorage(tx: CommonQueryMethods, userId: string, delta: number): Promise<boolean> {
  const row = await tx.maybeOne(sql.type(z.object({ user_id: z.string() }))`
    UPDATE user_quotas SET
      storage_used_bytes = greatest(0, storage_used_bytes + ${delta}),
      storage_used_mb = round(greatest(0, storage_used_bytes + ${delta}) / 1048576.0, 2)
    WHERE user_id = ${userId}
      AND (${delta} <= 0 OR storage_used_bytes + ${delta} <= max_storage_mb::bigint * 1048576)
    RETURNING user_id`);
  return row !== null;
}
