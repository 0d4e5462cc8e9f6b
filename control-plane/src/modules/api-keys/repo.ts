import { sql } from 'slonik';
import { z } from 'zod';
import type { Db } from '../../infra/db.js';

const apiKeyRow = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  scopes: z.array(z.string()),
  created_at: z.number(),
  expires_at: z.number().nullable(),
  last_used_at: z.number().nullable(),
  revoked_at: z.number().nullable(),
});
export type ApiKeyRow = z.infer<typeof apiKeyRow>;

const columns = sql.fragment`id, name, prefix, scopes, created_at, expires_at, last_used_at, revoked_at`;

interface NewApiKey {
  userId: string;
  name: string;
  prefix: string;
  keyHash: Buffer;
  scopes: string[];
  expiresInDays: number | null;
}

export function createApiKeyRepo(db: Db) {
  return {
    async countActive(userId: string): Promise<number> {
      return db.oneFirst(sql.type(z.object({ n: z.number() }))`
        SELECT count(*)::int AS n FROM api_keys
        WHERE user_id = ${userId} AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())`);
    },

    /**
     * Inserts a key unless the user already holds `maxActive` active ones (then null). Counting
     * and inserting run under a per-user advisory lock: parallel creates cannot both pass.
     */
    async insertCapped(k: NewApiKey, maxActive: number): Promise<ApiKeyRow | null> {
      return db.transaction(async (tx) => {
        await tx.query(
          sql.unsafe`SELECT pg_advisory_xact_lock(hashtextextended(${`api-keys:${k.userId}`}, 0))`,
        );
        const n = await tx.oneFirst(sql.type(z.object({ n: z.number() }))`
          SELECT count(*)::int AS n FROM api_keys
          WHERE user_id = ${k.userId} AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())`);
        if (n >= maxActive) return null;
        return tx.one(sql.type(apiKeyRow)`
          INSERT INTO api_keys (user_id, name, prefix, key_hash, scopes, expires_at)
          VALUES (${k.userId}, ${k.name}, ${k.prefix}, ${sql.binary(k.keyHash)}, ${sql.array(k.scopes, 'text')},
                  ${k.expiresInDays === null ? null : sql.fragment`now() + make_interval(days => ${k.expiresInDays})`})
          RETURNING ${columns}`);
      });
    },

    async insert(k: NewApiKey): Promise<ApiKeyRow> {
      return db.one(sql.type(apiKeyRow)`
        INSERT INTO api_keys (user_id, name, prefix, key_hash, scopes, expires_at)
        VALUES (${k.userId}, ${k.name}, ${k.prefix}, ${sql.binary(k.keyHash)}, ${sql.array(k.scopes, 'text')},
                ${k.expiresInDays === null ? null : sql.fragment`now() + make_interval(days => ${k.expiresInDays})`})
        RETURNING ${columns}`);
    },

    async listOwned(userId: string): Promise<readonly ApiKeyRow[]> {
      return db.any(sql.type(apiKeyRow)`
        SELECT ${columns} FROM api_keys WHERE user_id = ${userId} ORDER BY created_at DESC, id`);
    },

    /** Revokes the caller's key; false when it is not theirs (or does not exist). */
    async revoke(id: string, userId: string): Promise<boolean> {
      const r = await db.query(sql.unsafe`
        UPDATE api_keys SET revoked_at = coalesce(revoked_at, now())
        WHERE id = ${id} AND user_id = ${userId}`);
      return r.rowCount > 0;
    },

    /** The live key with this hash, whose owner is active; marks it used. */
    async findUsable(keyHash: Buffer): Promise<{ id: string; user_id: string; scopes: string[] } | null> {
      return db.maybeOne(sql.type(
        z.object({ id: z.string(), user_id: z.string(), scopes: z.array(z.string()) }),
      )`
        UPDATE api_keys k SET last_used_at = now()
        FROM users u
        WHERE k.key_hash = ${sql.binary(keyHash)} AND k.revoked_at IS NULL
          AND (k.expires_at IS NULL OR k.expires_at > now())
          AND u.id = k.user_id AND u.is_active
        RETURNING k.id, k.user_id, k.scopes`);
    },
  };
}

export type ApiKeyRepo = ReturnType<typeof createApiKeyRepo>;
