import { createPool, type DatabasePool } from 'slonik';

export type Db = DatabasePool;

/**
 * The connection string with `lock_timeout` set on every session (PostgreSQL's `options`
 * parameter, next to any the URL already has): a statement that waits this long for a lock
 * (a locked table, a long transaction holding a row) fails with 55P03 and the request answers
 * 503 instead of hanging until the statement timeout.
 */
export function withLockTimeout(url: string, lockTimeoutMs: number): string {
  const u = new URL(url);
  const existing = u.searchParams.get('options');
  const option = `-c lock_timeout=${Math.max(1, Math.floor(lockTimeoutMs))}`;
  u.searchParams.set('options', existing ? `${existing} ${option}` : option);
  return u.toString();
}

/** The slonik pool. Only modules' repo.ts files run SQL through it. */
export async function createDb(
  url: string,
  maximumPoolSize: number,
  timeouts: { statementTimeoutMs?: number; lockTimeoutMs?: number } = {},
): Promise<Db> {
  return createPool(withLockTimeout(url, timeouts.lockTimeoutMs ?? 2000), {
    maximumPoolSize,
    connectionTimeout: 5000,
    statementTimeout: timeouts.statementTimeoutMs ?? 15000,
    idleInTransactionSessionTimeout: 15000,
    // slonik sends DISCARD ALL after every query by default (a second statement each time);
    // no repo leaves session state behind (no SET, temporary tables, session locks or LISTEN),
    // so there is nothing to discard.
    resetConnection: async () => undefined,
    // Keep connections warm across quiet spells: a new one costs a TCP connect and SCRAM
    // authentication on the next request's critical path.
    idleTimeout: 60_000,
    minimumPoolSize: Math.min(2, maximumPoolSize),
  });
}
