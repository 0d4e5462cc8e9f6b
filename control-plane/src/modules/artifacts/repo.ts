import { sql } from 'slonik';
import { z } from 'zod';
import type { Db } from '../../infra/db.js';
import { changeStorage } from '../files/storage.js';

export const artifactStates = ['stored', 'missing', 'over_quota', 'expired'] as const;
export type ArtifactState = (typeof artifactStates)[number];

const artifactRow = z.object({
  id: z.string(),
  execution_id: z.string(),
  name: z.string(),
  size_bytes: z.number(),
  content_type: z.string(),
  sha256: z.string(),
  object_key: z.string().nullable(),
  state: z.enum(artifactStates),
  created_at: z.number(),
});
export type ArtifactRow = z.infer<typeof artifactRow>;

// BIGINT comes back as a bigint: read as a number (exact up to 2^53 bytes).
const columns = sql.fragment`id, execution_id, name, size_bytes::float8 AS size_bytes, content_type, sha256, object_key, state, created_at`;

export interface SkippedSummary {
  entries: { name: string; reason: string }[];
  count: number;
}

export function createArtifactRepo(db: Db) {
  return {
    /** Whether the execution already has a row for this name (a report stream sent again). */
    async exists(executionId: string, name: string): Promise<boolean> {
      const r = await db.maybeOne(sql.type(z.object({ id: z.string() }))`
        SELECT id FROM execution_artifacts WHERE execution_id = ${executionId} AND name = ${name}`);
      return r !== null;
    },

    /**
     * Records an artifact about to be written and charges its bytes to the owner's storage
     * quota, in one transaction: `stored` with its object key when the quota has room, else
     * `over_quota` (nothing to write). Only while the execution is not final (a stale or
     * repeated attempt records nothing: null), and once per name.
     */
    async insert(a: {
      id: string;
      executionId: string;
      name: string;
      size: number;
      contentType: string;
      sha256: string;
      objectKey: string;
    }): Promise<{ state: 'stored' | 'over_quota'; userId: string } | null> {
      return db.transaction(async (tx) => {
        const row = await tx.maybeOne(sql.type(z.object({ user_id: z.string() }))`
          INSERT INTO execution_artifacts (id, execution_id, user_id, name, size_bytes, content_type, sha256, state)
          SELECT ${a.id}, id, user_id, ${a.name}, ${a.size}, ${a.contentType}, ${a.sha256}, 'over_quota'
          FROM executions WHERE id = ${a.executionId} AND status IN ('queued', 'running')
          ON CONFLICT (execution_id, name) DO NOTHING
          RETURNING user_id`);
        if (!row) return null;
        if (!(await changeStorage(tx, row.user_id, a.size)))
          return { state: 'over_quota', userId: row.user_id };
        await tx.query(sql.unsafe`
          UPDATE execution_artifacts SET state = 'stored', object_key = ${a.objectKey} WHERE id = ${a.id}`);
        return { state: 'stored', userId: row.user_id };
      });
    },

    /** The write of a `stored` artifact failed: `missing`, and its bytes go back to the quota. */
    async markMissing(id: string): Promise<void> {
      await db.transaction(async (tx) => {
        const row = await tx.maybeOne(sql.type(z.object({ user_id: z.string(), size_bytes: z.number() }))`
          UPDATE execution_artifacts SET state = 'missing', object_key = NULL
          WHERE id = ${id} AND state = 'stored' RETURNING user_id, size_bytes::float8 AS size_bytes`);
        if (row) await changeStorage(tx, row.user_id, -row.size_bytes);
      });
    },

    async setSkipped(executionId: string, skipped: SkippedSummary): Promise<void> {
      await db.query(sql.unsafe`
        UPDATE executions SET artifacts_skipped = ${sql.jsonb({ ...skipped })}
        WHERE id = ${executionId} AND status IN ('queued', 'running')`);
    },

    /** An execution's artifacts in name order, and what was left out (null: nothing asked for). */
    async listOf(executionId: string): Promise<{ rows: ArtifactRow[]; skipped: SkippedSummary | null }> {
      const [rows, skipped] = await Promise.all([
        db.any(sql.type(artifactRow)`
          SELECT ${columns} FROM execution_artifacts WHERE execution_id = ${executionId} ORDER BY name`),
        db.maybeOne(sql.type(z.object({ artifacts_skipped: z.unknown() }))`
          SELECT artifacts_skipped FROM executions WHERE id = ${executionId}`),
      ]);
      return { rows: [...rows], skipped: (skipped?.artifacts_skipped as SkippedSummary | null) ?? null };
    },

    /** One artifact of the caller's own execution; another user's answers null. */
    async findOwned(executionId: string, artifactId: string, userId: string): Promise<ArtifactRow | null> {
      return db.maybeOne(sql.type(artifactRow)`
        SELECT ${columns} FROM execution_artifacts
        WHERE id = ${artifactId} AND execution_id = ${executionId} AND user_id = ${userId}`);
    },

    /** One artifact by id alone (a signed URL: the signature stands for the owner's token). */
    async findById(artifactId: string): Promise<ArtifactRow | null> {
      return db.maybeOne(
        sql.type(artifactRow)`SELECT ${columns} FROM execution_artifacts WHERE id = ${artifactId}`,
      );
    },

    /**
     * Marks stored artifacts written before `cutoff` as `expired` and gives their bytes back to
     * their owners' quotas, one batch per call; the keys whose objects are to go.
     */
    async expire(cutoff: Date, limit: number): Promise<string[]> {
      return db.transaction(async (tx) => {
        const rows = await tx.any(sql.type(
          z.object({ user_id: z.string(), size_bytes: z.number(), object_key: z.string().nullable() }),
        )`
          UPDATE execution_artifacts a SET state = 'expired', object_key = NULL
          FROM (SELECT id, object_key FROM execution_artifacts
                WHERE state = 'stored' AND created_at < ${cutoff.toISOString()}
                ORDER BY created_at LIMIT ${limit} FOR UPDATE SKIP LOCKED) old
          WHERE a.id = old.id
          RETURNING a.user_id, a.size_bytes::float8 AS size_bytes, old.object_key`);
        const perUser = new Map<string, number>();
        for (const r of rows) perUser.set(r.user_id, (perUser.get(r.user_id) ?? 0) + r.size_bytes);
        for (const [userId, bytes] of perUser) await changeStorage(tx, userId, -bytes);
        return rows.flatMap((r) => (r.object_key ? [r.object_key] : []));
      });
    },
  };
}

export type ArtifactRepo = ReturnType<typeof createArtifactRepo>;
