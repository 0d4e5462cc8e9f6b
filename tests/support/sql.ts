import pg from 'pg';
import { inject } from 'vitest';

/** One query on the stack's database over a connection of its own; its rows. */
export async function sql(text: string, params: unknown[] = []) {
  const c = new pg.Client({ connectionString: inject('databaseUrl') });
  await c.connect();
  try {
    return (await c.query(text, params)).rows;
  } finally {
    await c.end();
  }
}
