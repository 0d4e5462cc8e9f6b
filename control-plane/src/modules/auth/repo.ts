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
    }): Promise<void> {
      await db.query(sql.unsafe`
        INSERT INTO refresh_tokens (user_id, token_hash, family_id, expires_at, ip_address, user_agent)
        VALUES (${t.userId}, ${sql.binary(t.hash)}, ${t.familyId},
                now() + make_interval(secs => ${t.ttlSeconds}), ${t.ip}, ${t.userAgent})`);
    },
  };
}

export type AuthRepo = ReturnType<typeof createAuthRepo>;
