import type { Logger } from '@muscode/common';
import { AppError, errors } from '../errors.js';
import { isDatabaseUnavailable, isRedisUnavailable } from '../infra/db-unavailable.js';

export interface ErrorEnvelope {
  success: false;
  error: { code: string; message: string; details?: unknown };
}

interface ValidationIssue {
  path: string;
  message: string;
}

/** Maps anything thrown while serving a request to a status and the spec's error envelope. */
export function toErrorResponse(
  code: string | number,
  error: unknown,
  log: Logger,
): { status: number; body: ErrorEnvelope; retryAfterSeconds: number | undefined } {
  const appError = toAppError(code, error, log);
  const body: ErrorEnvelope = {
    success: false,
    error: { code: appError.code, message: appError.message },
  };
  if (appError.details !== undefined) body.error.details = appError.details;
  return { status: appError.status, body, retryAfterSeconds: appError.retryAfterSeconds };
}

function toAppError(code: string | number, error: unknown, log: Logger): AppError {
  if (error instanceof AppError) {
    if (error.status >= 500) log.error({ err: error.cause ?? error }, error.message);
    return error;
  }
  switch (code) {
    case 'VALIDATION':
      return validationError(error);
    case 'PARSE': {
      // Our body reader's own errors (413, 415) arrive wrapped in Elysia's ParseError.
      const cause = (error as { cause?: unknown }).cause;
      return cause instanceof AppError ? cause : errors.invalidJson();
    }
    case 'NOT_FOUND':
      return errors.routeNotFound();
    case 'INVALID_COOKIE_SIGNATURE':
    case 'INVALID_FILE_TYPE':
      return errors.validation('The request is malformed.');
    default:
      if (isDatabaseUnavailable(error)) {
        log.warn({ err: (error as Error).message }, 'database unavailable');
        return errors.unavailable('The database is unavailable; try again shortly.');
      }
      if (isRedisUnavailable(error)) {
        log.warn({ err: (error as Error).message }, 'redis unavailable');
        return errors.unavailable('A backing service is unavailable; try again shortly.');
      }
      log.error({ err: error }, 'unhandled error');
      return errors.internal(error);
  }
}

function validationError(error: unknown): AppError {
  const all = (error as { all?: ValidationIssue[] }).all ?? [];
  const issues = all
    .filter((i) => typeof i.path === 'string')
    .map((i) => ({ field: i.path.replace(/^\//, '').replace(/\//g, '.') || '(body)', message: i.message }));
  const first = issues[0];
  const message = first
    ? first.field === '(body)'
      ? `The request body is invalid: ${first.message}.`
      : `${first.field}: ${first.message}.`
    : 'The request is invalid.';
  return errors.validation(message, { field: first?.field, issues });
}
