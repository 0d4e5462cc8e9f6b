import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, databaseUrl, dropDatabase, randomId, root } from '../../../tests/support/stack.js';
import { migrate, readMigrations } from './migrate.js';

// Against a real PostgreSQL: a database of this file's own.
const name = `muscode_migrate_${randomId()}`;
beforeAll(() => createDatabase(name));
afterAll(() => dropDatabase(name));

async function query<T extends pg.QueryResultRow>(sql: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: databaseUrl(name) });
  await c.connect();
  try {
    return (await c.query<T>(sql)).rows;
  } finally {
    await c.end();
  }
}

describe('migrate', () => {
  it('applies the schema once, records it, and is a no-op the second time', async () => {
    const all = readMigrations(`${root}/migrations`).map((m) => m.version);
    expect(await migrate(databaseUrl(name), `${root}/migrations`)).toEqual(all);
    expect(await migrate(databaseUrl(name), `${root}/migrations`)).toEqual([]);
    const recorded = await query<{ version: string }>(
      'SELECT version FROM schema_migrations ORDER BY version',
    );
    expect(recorded.map((r) => r.version)).toEqual(all);
    const tables = await query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
    );
    expect(tables.map((t) => t.table_name)).toEqual(
      expect.arrayContaining([
        'users',
        'refresh_tokens',
        'projects',
        'files',
        'executions',
        'user_quotas',
        'project_stars',
        'comments',
        'audit_logs',
        'user_statistics',
      ]),
    );
  });

  it('refuses a migration whose file changed after it was applied', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mig-'));
    const db = `muscode_migrate_${randomId()}`;
    await createDatabase(db);
    try {
      writeFileSync(join(dir, '0001_create_thing.sql'), 'CREATE TABLE thing (id int);');
      await migrate(databaseUrl(db), dir);
      writeFileSync(join(dir, '0001_create_thing.sql'), 'CREATE TABLE thing (id bigint);');
      await expect(migrate(databaseUrl(db), dir)).rejects.toThrow(/changed after it was applied/);
    } finally {
      await dropDatabase(db);
    }
  });

  it('rolls back a failing migration and records nothing of it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mig-'));
    const db = `muscode_migrate_${randomId()}`;
    await createDatabase(db);
    try {
      writeFileSync(join(dir, '0001_create_ok.sql'), 'CREATE TABLE ok (id int);');
      writeFileSync(join(dir, '0002_create_bad.sql'), 'CREATE TABLE bad (id int); SELECT * FROM nowhere;');
      await expect(migrate(databaseUrl(db), dir)).rejects.toThrow(/0002_create_bad failed/);
      const c = new pg.Client({ connectionString: databaseUrl(db) });
      await c.connect();
      const versions = (await c.query('SELECT version FROM schema_migrations')).rows.map((r) => r.version);
      const bad = (await c.query("SELECT to_regclass('bad') AS t")).rows[0].t;
      await c.end();
      expect(versions).toEqual(['0001']);
      expect(bad).toBeNull();
    } finally {
      await dropDatabase(db);
    }
  });
});
