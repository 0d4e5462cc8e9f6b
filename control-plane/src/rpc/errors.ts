import { Code, ConnectError } from '@connectrpc/connect';
import type { Logger } from '@muscode/common';
import { AppError } from '../errors.js';

const byStatus: Record<number, Code> = {
  400: Code.InvalidArgument,
  401: Code.Unauthenticated,
  403: Code.PermissionDenied,
  404: Code.NotFound,
  409: Code.AlreadyExists,
  413: Code.ResourceExhausted,
  429: Code.ResourceExhausted,
  503: Code.Unavailable,
};

/** Maps anything thrown by an RPC to a ConnectError; unknown errors are logged, not returned. */
export function toConnectError(err: unknown, log: Logger): ConnectError {
  if (err instanceof ConnectError) return err;
  if (err instanceof AppError) {
    if (err.status >= 500 && err.status !== 503) log.error({ err: err.cause ?? err }, err.message);
    return new ConnectError(err.message, byStatus[err.status] ?? Code.Internal);
  }
  log.error({ err }, 'unhandled rpc error');
  return new ConnectError('internal error', Code.Internal);
}

/** Wraps an RPC implementation so every error leaves through toConnectError. */
export function guarded<A extends unknown[], R>(log: Logger, fn: (...args: A) => Promise<R>) {
  return async (...args: A): Promise<R> => {
    try {
      return await fn(...args);
    } catch (err) {
      throw toConnectError(err, log);
    }
  };
}

export function bearer(headers: Headers): string | null {
  const m = /^Bearer\s+(\S+)$/i.exec(headers.get('authorization') ?? '');
  return m?.[1] ?? null;
}
