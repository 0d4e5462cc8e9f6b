import { Redis } from 'ioredis';
import { afterAll, inject } from 'vitest';
import { createDatabase, databaseUrl, deleteKeys, dropDatabase, randomId } from './stack.js';

/**
 * A database of this test file's own, cloned from the run's migrated template (CREATE DATABASE
 * … TEMPLATE: a copy of its files, no migration run), dropped after the file. For files that
 * talk to PostgreSQL themselves or start processes of their own; the shared stack's processes
 * keep the stack's database.
 */
export async function fileDatabase(): Promise<string> {
  const name = `muscode_file_${randomId()}`;
  await createDatabase(name, inject('templateDatabase'));
  afterAll(() => dropDatabase(name));
  return databaseUrl(name);
}

/**
 * A Redis key prefix of this test file's own (under the run's), with a connection; every key
 * under it is deleted after the file with SCAN (never KEYS: the Redis is shared).
 */
export function fileRedisPrefix(name: string): { redis: Redis; prefix: string } {
  const redis = new Redis(inject('redisUrl'));
  const prefix = `${inject('redisPrefix')}${name}-${randomId()}:`;
  afterAll(async () => {
    await deleteKeys(redis, prefix);
    redis.disconnect();
  });
  return { redis, prefix };
}
