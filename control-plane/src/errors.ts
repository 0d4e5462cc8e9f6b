import { httpStatusOf } from './http/status-of.js';

/**
 * Why a request failed: a closed set, so every edge answers every reason. The HTTP status
 * (http/status-of.ts) and the Connect code (rpc/errors.ts) are derived from it per edge; the
 * envelope's `code` (`validation_failed`, `file_exists`, …) is the finer, documented detail.
 */
export const errorReasons = [
  'invalid_argument',
  'unauthenticated',
  'permission_denied',
  'not_found',
  /** The path exists, but not with this method. */
  'method_not_allowed',
  'already_exists',
  /** The resource is in a state that does not allow it (an execution that has finished). */
  'failed_precondition',
  /** `If-Match` named another version. */
  'precondition_failed',
  'payload_too_large',
  'unsupported_media_type',
  'unprocessable',
  'resource_exhausted',
  'internal',
  'unavailable',
] as const;

export type ErrorReason = (typeof errorReasons)[number];

/**
 * The one error type of the control-plane. Thrown anywhere, built by the factories below (never
 * `new` elsewhere); mapped once per edge (HTTP in http/error-envelope.ts, Connect in
 * rpc/errors.ts). Anything else that is thrown becomes "internal" with its cause logged, never
 * returned.
 */
export class AppError extends Error {
  /** Sent as Retry-After with 429 and 503 answers. */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    readonly reason: ErrorReason,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    options?: { cause?: unknown; retryAfterSeconds?: number },
  ) {
    super(message, options);
    this.retryAfterSeconds = options?.retryAfterSeconds;
    this.name = 'AppError';
  }

  /** The HTTP edge's status for it. */
  get status(): number {
    return httpStatusOf[this.reason];
  }
}

export const errors = {
  validation: (message: string, details?: unknown) =>
    new AppError('invalid_argument', 'validation_failed', message, details),
  invalidJson: () => new AppError('invalid_argument', 'invalid_json', 'The request body is not valid JSON.'),
  unsupportedLanguage: (language: string) =>
    new AppError('invalid_argument', 'unsupported_language', `Language "${language}" is not supported.`, {
      field: 'language',
    }),
  /** A version no version of the language matches: names those there are, newest first. */
  unsupportedVersion: (language: string, requested: string, versions: string[]) =>
    new AppError(
      'invalid_argument',
      'unsupported_version',
      `${language} has no version "${requested}"; there are: ${versions.join(', ')}.`,
      { field: 'version', versions },
    ),
  unauthorized: (message = 'A valid access token is required.') =>
    new AppError('unauthenticated', 'unauthorized', message),
  invalidCredentials: () =>
    new AppError('unauthenticated', 'invalid_credentials', 'The email or password is incorrect.'),
  forbidden: (message: string) => new AppError('permission_denied', 'forbidden', message),
  /** Too much work queued (for this user or the region): try again after `retryAfterSeconds`. */
  busy: (code: string, message: string, retryAfterSeconds: number, details?: unknown) =>
    new AppError('resource_exhausted', code, message, details, { retryAfterSeconds }),
  notFound: (what: string) => new AppError('not_found', 'not_found', `${what} was not found.`),
  routeNotFound: () => new AppError('not_found', 'route_not_found', 'No such endpoint.'),
  /** The endpoint exists with other methods: `allow` (also sent as the Allow header) lists them. */
  methodNotAllowed: (method: string, allow: string[]) =>
    new AppError('method_not_allowed', 'method_not_allowed', `This endpoint does not answer ${method}.`, {
      allow,
    }),
  conflict: (code: string, message: string, details?: unknown) =>
    new AppError('already_exists', code, message, details),
  /** The resource's state does not allow it now (an execution that has already finished). */
  failedPrecondition: (code: string, message: string, details?: unknown) =>
    new AppError('failed_precondition', code, message, details),
  /** Well-formed, but not processable as sent (an Idempotency-Key reused with another body). */
  unprocessable: (code: string, message: string, details?: unknown) =>
    new AppError('unprocessable', code, message, details),
  /** Another request holds it; try again after `retryAfterSeconds`. */
  inProgress: (code: string, message: string, retryAfterSeconds: number) =>
    new AppError('already_exists', code, message, undefined, { retryAfterSeconds }),
  /** `If-Match` named another version of the resource than the current one. */
  preconditionFailed: (what: string) =>
    new AppError(
      'precondition_failed',
      'precondition_failed',
      `${what} has changed since you read it (If-Match does not match its ETag); read it again.`,
    ),
  payloadTooLarge: (limit: number) =>
    new AppError('payload_too_large', 'payload_too_large', `The request body exceeds ${limit} bytes.`),
  unsupportedMediaType: () =>
    new AppError(
      'unsupported_media_type',
      'unsupported_media_type',
      'Send the request body as application/json.',
    ),
  unavailable: (message: string, retryAfterSeconds = 5, cause?: unknown) =>
    new AppError('unavailable', 'service_unavailable', message, undefined, { retryAfterSeconds, cause }),
  quotaExceeded: (period: 'daily' | 'monthly', retryAfterSeconds: number) =>
    new AppError(
      'resource_exhausted',
      'quota_exceeded',
      `Your ${period} execution quota is used up.`,
      { period },
      { retryAfterSeconds },
    ),
  /** Interactive stdin past the execution's stdin budget (its stdin limit, less the spec's stdin). */
  stdinLimit: () =>
    new AppError(
      'resource_exhausted',
      'stdin_limit',
      'This stdin would pass the execution\u2019s stdin limit.',
    ),
  storageQuotaExceeded: () =>
    new AppError(
      'payload_too_large',
      'storage_quota_exceeded',
      'Your storage quota is used up; delete files or projects to make room.',
    ),
  rateLimited: (retryAfterSeconds: number) =>
    new AppError('resource_exhausted', 'rate_limited', 'Too many requests; slow down.', undefined, {
      retryAfterSeconds,
    }),
  internal: (cause?: unknown) =>
    new AppError('internal', 'internal_error', 'Something went wrong on our side.', undefined, { cause }),
};
