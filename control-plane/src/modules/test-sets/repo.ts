import { sql } from 'slonik';
import { z } from 'zod';
import type { Db } from '../../infra/db.js';

/** One test as a set keeps it: the text as sent, its name resolved (`test <n>` by default). */
export interface StoredTest {
  name: string;
  stdin: string;
  expectedOutput: string;
  timeout?: number;
  hidden: boolean;
}

const storedTest = z.object({
  name: z.string(),
  stdin: z.string(),
  expectedOutput: z.string(),
  timeout: z.number().optional(),
  hidden: z.boolean(),
});

const testSetRow = z.object({
  id: z.string(),
  user_id: z.string(),
  owner_username: z.string(),
  name: z.string(),
  visibility: z.string(),
  tests: z.array(storedTest),
  /** Checked by checkerSchema when it was stored; read back as it is. */
  checker: z.record(z.unknown()).nullable(),
  created_at: z.number(),
  updated_at: z.number(),
});
export type TestSetRow = z.infer<typeof testSetRow>;

const summaryRow = testSetRow.omit({ tests: true }).extend({
  test_count: z.number(),
  hidden_count: z.number(),
});
export type TestSetSummaryRow = z.infer<typeof summaryRow>;

export interface TestSetFields {
  name: string;
  visibility: string;
  tests: StoredTest[];
  checker: Record<string, unknown> | null;
}

const select = sql.fragment`
  SELECT s.id, s.user_id, u.username AS owner_username, s.name, s.visibility, s.tests, s.checker,
         s.created_at, s.updated_at
  FROM test_sets s JOIN users u ON u.id = s.user_id`;

const tests = (f: TestSetFields) => sql.jsonb(f.tests.map((t) => ({ ...t })));
const checker = (f: TestSetFields) =>
  f.checker ? sql.jsonb(f.checker as Parameters<typeof sql.jsonb>[0]) : null;

export function createTestSetRepo(db: Db) {
  return {
    /**
     * Inserts a set unless the user already has `max` (then null). Counting and inserting run
     * under a per-user advisory lock: parallel creates cannot both pass.
     */
    async insertCapped(userId: string, f: TestSetFields, max: number): Promise<TestSetRow | null> {
      return db.transaction(async (tx) => {
        await tx.query(
          sql.unsafe`SELECT pg_advisory_xact_lock(hashtextextended(${`test-sets:${userId}`}, 0))`,
        );
        const n = await tx.oneFirst(sql.type(z.object({ n: z.number() }))`
          SELECT count(*)::int AS n FROM test_sets WHERE user_id = ${userId}`);
        if (n >= max) return null;
        const { id } = await tx.one(sql.type(z.object({ id: z.string() }))`
          INSERT INTO test_sets (user_id, name, visibility, tests, checker)
          VALUES (${userId}, ${f.name}, ${f.visibility}, ${tests(f)}, ${checker(f)})
          RETURNING id`);
        return tx.one(sql.type(testSetRow)`${select} WHERE s.id = ${id}`);
      });
    },

    /** The caller's set, or a public or unlisted one of anyone; null otherwise. */
    async findReadable(id: string, callerId: string | null): Promise<TestSetRow | null> {
      return db.maybeOne(sql.type(testSetRow)`
        ${select} WHERE s.id = ${id} AND (s.visibility IN ('public', 'unlisted') OR s.user_id = ${callerId})`);
    },

    /** Replaces the caller's set; null when it is not theirs (or does not exist). */
    async update(id: string, userId: string, f: TestSetFields): Promise<TestSetRow | null> {
      const updated = await db.maybeOne(sql.type(z.object({ id: z.string() }))`
        UPDATE test_sets SET name = ${f.name}, visibility = ${f.visibility}, tests = ${tests(f)},
               checker = ${checker(f)}, updated_at = now()
        WHERE id = ${id} AND user_id = ${userId}
        RETURNING id`);
      if (!updated) return null;
      return db.one(sql.type(testSetRow)`${select} WHERE s.id = ${id}`);
    },

    /** Deletes the caller's set; false when it is not theirs (or does not exist). */
    async remove(id: string, userId: string): Promise<boolean> {
      const r = await db.query(sql.unsafe`DELETE FROM test_sets WHERE id = ${id} AND user_id = ${userId}`);
      return r.rowCount > 0;
    },

    /** One page of the caller's sets, newest first, without their tests, and how many there are. */
    async listOwned(
      userId: string,
      limit: number,
      offset: number,
    ): Promise<{ rows: TestSetSummaryRow[]; total: number }> {
      const [rows, total] = await Promise.all([
        db.any(sql.type(summaryRow)`
          SELECT s.id, s.user_id, u.username AS owner_username, s.name, s.visibility, s.checker,
                 s.created_at, s.updated_at, jsonb_array_length(s.tests) AS test_count,
                 (SELECT count(*)::int FROM jsonb_array_elements(s.tests) t
                  WHERE t->>'hidden' = 'true') AS hidden_count
          FROM test_sets s JOIN users u ON u.id = s.user_id
          WHERE s.user_id = ${userId}
          ORDER BY s.created_at DESC, s.id DESC LIMIT ${limit} OFFSET ${offset}`),
        db.oneFirst(sql.type(z.object({ n: z.number() }))`
          SELECT count(*)::int AS n FROM test_sets WHERE user_id = ${userId}`),
      ]);
      return { rows: [...rows], total };
    },
  };
}

export type TestSetRepo = ReturnType<typeof createTestSetRepo>;
