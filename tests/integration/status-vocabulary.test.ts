import { executionStatuses } from '@muscode/common';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { fileDatabase } from '../support/file-db.js';

let databaseUrl = '';
beforeAll(async () => {
  databaseUrl = await fileDatabase();
});

/**
 * The migrated database accepts exactly the statuses of common/src/statuses.ts: a status added
 * there without its migration (or the other way round) fails here, not in production.
 */
describe('executions.status CHECK', () => {
  it('allows exactly the statuses the code knows', async () => {
    const c = new pg.Client({ connectionString: databaseUrl });
    await c.connect();
    try {
      const { rows } = await c.query<{ def: string }>(
        `SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint
         WHERE conrelid = 'executions'::regclass AND contype = 'c'
           AND pg_get_constraintdef(oid) LIKE '%status%'`,
      );
      expect(rows).toHaveLength(1);
      const allowed = [...rows[0]!.def.matchAll(/'([a-z_]+)'/g)].map((m) => m[1]).sort();
      expect(allowed).toEqual([...executionStatuses].sort());
    } finally {
      await c.end();
    }
  });
});
