import { createPool, type DatabasePool } from 'slonik';

export type Db = DatabasePool;

/** The slonik pool. Only modules' repo.ts files run SQL through it. */
export async function createDb(url: string, maximumPoolSize: number): Promise<Db> {
  return createPool(url, {
    maximumPoolSize,
    connectionTimeout: 5000,
    statementTimeout: 15000,
    idleInTransactionSessionTimeout: 15000,
  });
}
