import { Code, ConnectError } from '@connectrpc/connect';
import type { Logger } from '@muscode/common';
import { AppError, type ErrorReason } from '../errors.js';

/** The Connect edge's answer to each reason (a new reason is a type error here until mapped). */
const connectCodeOf: Record<ErrorReason, Code> = {
  invalid_argument: Code.InvalidArgument,
  unauthenticated: Code.Unauthenticated,
  permission_denied: Code.PermissionDenied,
  not_found: Code.NotFound,
  method_not_allowed: Code.Unimplemented,
  already_exists: Code.AlreadyExists,
  failed_precondition: Code.FailedPrecondition,
  precondition_failed: Code.FailedPrecondition,
  payload_too_large: Code.ResourceExhausted,
  unsupported_media_type: Code.InvalidArgument,
  unprocessable: Code.InvalidArgument,
  resource_exhausted: Code.ResourceExhausted,
  internal: Code.Internal,
  unavailable: Code.Unavailable,
};

/** Maps anything thrown by an RPC to a ConnectError; unknown errors are logged, not returned. */
export function toConnectError(err: unknown, log: Logger): ConnectError {
  if (err instanceof ConnectError) return err;
  if (err instanceof AppError) {
    if (err.reason === 'internal') log.error({ err: err.cause ?? err }, err.message);
    return new ConnectError(err.message, connectCodeOf[err.reason]);
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
