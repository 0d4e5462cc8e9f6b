import { sql } from 'slonik';
import { z } from 'zod';
import type { Db } from '../../infra/db.js';

const userRow = z.object({
  id: z.string(),
  email: z.string(),
  username: z.string(),
  password_hash: z.string(),
  role: z.string(),
  is_active: z.boolean(),
});
export type UserRow = z.infer<typeof userRow>;

export function createAuthRepo(db: Db) {
  return {
    /** Inserts the user and their quota row, or says which of email and username is taken. */
    async insertUser(u: {
      email: string;
      username: string;
      passwordHash: string;
      fullName: string | null;
    }): Promise<{ id: string } | { taken: 'email' | 'username' }> {
      return db.transaction(async (tx) => {
        const clash = await tx.maybeOne(sql.type(z.object({ email: z.string() }))`
          SELECT email FROM users
          WHERE lower(email) = lower(${u.email}) OR lower(username) = lower(${u.username})
          LIMIT 1`);
        if (clash) return { taken: clash.email.toLowerCase() === u.email ? 'email' : 'username' };
        const row = await tx.maybeOne(sql.type(z.object({ id: z.string() }))`
          INSERT INTO users (email, username, password_hash, full_name)
          VALUES (${u.email}, ${u.username}, ${u.passwordHash}, ${u.fullName})
          ON CONFLICT DO NOTHING
          RETURNING id`);
        // A concurrent registration won the unique index between our check and insert.
        if (!row) return { taken: 'email' as const };
        await tx.query(sql.unsafe`INSERT INTO user_quotas (user_id) VALUES (${row.id})`);
        return row;
      });
    },

    async findByEmail(email: string): Promise<UserRow | null> {
      return db.maybeOne(sql.type(userRow)`
        SELECT id, email, username, password_hash, role, is_active
        FROM users WHERE lower(email) = lower(${email})`);
    },

    async findById(id: string): Promise<UserRow | null> {
      return db.maybeOne(sql.type(userRow)`
        SELECT id, email, username, password_hash, role, is_active
        FROM users WHERE id = ${id}`);
    },

    async touchLogin(id: string): Promise<void> {
      await db.query(sql.unsafe`UPDATE users SET last_login_at = now() WHERE id = ${id}`);
    },

    async insertRefreshToken(t: {
      userId: string;
      hash: Buffer;
      familyId: string;
      ttlSeconds: number;
      ip: string | null;
      userAgent: string | null;
    }): Promise<string> {
      return db.oneFirst(sql.type(z.object({ id: z.string() }))`
        INSERT INTO refresh_tokens (user_id, token_hash, family_id, expires_at, ip_address, user_agent)
        VALUES (${t.userId}, ${sql.binary(t.hash)}, ${t.familyId},
                now() + make_interval(secs => ${t.ttlSeconds}), ${t.ip}, ${t.userAgent})
        RETURNING id`);
    },

    /**
     * Rotation, step one: marks a live refresh token used, atomically, so that of two
     * concurrent uses only one gets the session (the other is then a reuse). Returns the
     * session it belongs to, or null when the token is unknown, expired, revoked or used.
     */
    async consumeRefreshToken(hash: Buffer): Promise<{ id: string; familyId: string; user: UserRow } | null> {
      return db.transaction(async (tx) => {
        const token = await tx.maybeOne(sql.type(
          z.object({ id: z.string(), user_id: z.string(), family_id: z.string() }),
        )`
          UPDATE refresh_tokens SET revoked = true
          WHERE token_hash = ${sql.binary(hash)} AND NOT revoked AND expires_at > now()
          RETURNING id, user_id, family_id`);
        if (!token) return null;
        const user = await tx.one(sql.type(userRow)`
          SELECT id, email, username, password_hash, role, is_active FROM users WHERE id = ${token.user_id}`);
        return { id: token.id, familyId: token.family_id, user };
      });
    },

    async linkReplacement(oldId: string, newId: string): Promise<void> {
      await db.query(sql.unsafe`UPDATE refresh_tokens SET replaced_by = ${newId} WHERE id = ${oldId}`);
    },

    /** A known token that can no longer be used: its family and owner, for reuse detection. */
    async findSpentRefreshToken(hash: Buffer): Promise<{ familyId: string; userId: string } | null> {
      const row = await db.maybeOne(sql.type(z.object({ family_id: z.string(), user_id: z.string() }))`
        SELECT family_id, user_id FROM refresh_tokens
        WHERE token_hash = ${sql.binary(hash)} AND revoked`);
      return row ? { familyId: row.family_id, userId: row.user_id } : null;
    },

    /** Revokes every token of a login session (reuse of a rotated token). */
    async revokeFamily(familyId: string): Promise<number> {
      const r = await db.query(sql.unsafe`
        UPDATE refresh_tokens SET revoked = true WHERE family_id = ${familyId} AND NOT revoked`);
      return r.rowCount;
    },

    /** Logout without a refresh token: the caller's session (refresh-token family) ends. */
    async revokeOwnFamily(familyId: string, userId: string): Promise<number> {
      const r = await db.query(sql.unsafe`
        UPDATE refresh_tokens SET revoked = true
        WHERE family_id = ${familyId} AND user_id = ${userId} AND NOT revoked`);
      return r.rowCount;
    },

    /** Logout: revokes the caller's own refresh token; another user's token is left alone. */
    async revokeOwnRefreshToken(hash: Buffer, userId: string): Promise<boolean> {
      const r = await db.query(sql.unsafe`
        UPDATE refresh_tokens SET revoked = true
        WHERE token_hash = ${sql.binary(hash)} AND user_id = ${userId} AND NOT revoked`);
      return r.rowCount > 0;
    },
  };
}

export type AuthRepo = ReturnType<typeof createAuthRepo>;
