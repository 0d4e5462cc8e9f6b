import { createPool, type DatabasePool } from 'slonik';

export type Db = DatabasePool;

/** The slonik pool. Only modules' repo.ts files run SQL through it. */
export async function createDb(url: string, maximumPoolSize: number): Promise<Db> {
  return createPool(url, {
    maximumPoolSize,
    connectionTimeout: 5000,
    statementTimeout: 15000,
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
