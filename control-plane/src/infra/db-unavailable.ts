import {
  BackendTerminatedError,
  BackendTerminatedUnexpectedlyError,
  ConnectionError,
  StatementTimeoutError,
} from 'slonik';

/** Socket errors and PostgreSQL SQLSTATEs that mean "the database is not there right now". */
const unavailableCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, shutting down)
  '57014', // query_canceled: statement_timeout (a locked or overloaded database)
  '55P03', // lock_not_available: lock_timeout (a locked table or row)
  '53300', // too_many_connections
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);

/**
 * True when an error (or one of its causes) says the database is unreachable, restarting, or
 * cannot serve the statement in time (statement or lock timeout), as opposed to a bug: such
 * requests answer 503 with Retry-After, not 500.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    if (
      e instanceof ConnectionError ||
      e instanceof StatementTimeoutError ||
      e instanceof BackendTerminatedError ||
      e instanceof BackendTerminatedUnexpectedlyError
    ) {
      return true;
    }
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && unavailableCodes.has(code)) return true;
    const message = (e as { message?: unknown }).message;
    if (
      typeof message === 'string' &&
      /Connection terminated|connect ECONNREFUSED|the database system is (starting|shutting) down|timeout exceeded when trying to connect/i.test(
        message,
      )
    ) {
      return true;
    }
  }
  return false;
}

/**
 * True when ioredis gave up on a command because Redis is unreachable, restarting, too slow to
 * answer (our command timeout) or out of memory (`maxmemory` with noeviction).
 */
export function isRedisUnavailable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    const name = (e as { name?: unknown }).name;
    const message = (e as { message?: unknown }).message;
    if (name === 'MaxRetriesPerRequestError') return true;
    if (
      typeof message === 'string' &&
      /Connection is closed|LOADING Redis is loading|Stream isn't writeable|Command timed out|Reached the max retries|^OOM |MISCONF|max number of clients/.test(
        message,
      )
    )
      return true;
  }
  return false;
}
