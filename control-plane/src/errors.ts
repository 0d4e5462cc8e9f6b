/**
 * The one error type of the control-plane. Thrown anywhere; mapped once per edge (HTTP in
 * http/error-envelope.ts, Connect in rpc/errors.ts). Anything else that is thrown becomes
 * "internal" with its cause logged, never returned.
 */
export class AppError extends Error {
  /** Sent as Retry-After with 429 and 503 answers. */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    options?: { cause?: unknown; retryAfterSeconds?: number },
  ) {
    super(message, options);
    this.retryAfterSeconds = options?.retryAfterSeconds;
    this.name = 'AppError';
  }
}

export const errors = {
  validation: (message: string, details?: unknown) =>
    new AppError(400, 'validation_failed', message, details),
  invalidJson: () => new AppError(400, 'invalid_json', 'The request body is not valid JSON.'),
  unsupportedLanguage: (language: string) =>
    new AppError(400, 'unsupported_language', `Language "${language}" is not supported.`, {
      field: 'language',
    }),
  /** A version no version of the language matches: names those there are, newest first. */
  unsupportedVersion: (language: string, requested: string, versions: string[]) =>
    new AppError(
      400,
      'unsupported_version',
      `${language} has no version "${requested}"; there are: ${versions.join(', ')}.`,
      { field: 'version', versions },
    ),
  unauthorized: (message = 'A valid access token is required.') => new AppError(401, 'unauthorized', message),
  invalidCredentials: () => new AppError(401, 'invalid_credentials', 'The email or password is incorrect.'),
  forbidden: (message: string) => new AppError(403, 'forbidden', message),
  /** Too much work queued (for this user or the region): try again after `retryAfterSeconds`. */
  busy: (code: string, message: string, retryAfterSeconds: number, details?: unknown) =>
    new AppError(429, code, message, details, { retryAfterSeconds }),
  notFound: (what: string) => new AppError(404, 'not_found', `${what} was not found.`),
  routeNotFound: () => new AppError(404, 'route_not_found', 'No such endpoint.'),
  conflict: (code: string, message: string, details?: unknown) => new AppError(409, code, message, details),
  /** `If-Match` named another version of the resource than the current one. */
  preconditionFailed: (what: string) =>
    new AppError(
      412,
      'precondition_failed',
      `${what} has changed since you read it (If-Match does not match its ETag); read it again.`,
    ),
  payloadTooLarge: (limit: number) =>
    new AppError(413, 'payload_too_large', `The request body exceeds ${limit} bytes.`),
  unsupportedMediaType: () =>
    new AppError(415, 'unsupported_media_type', 'Send the request body as application/json.'),
  unavailable: (message: string, retryAfterSeconds = 5, cause?: unknown) =>
    new AppError(503, 'service_unavailable', message, undefined, { retryAfterSeconds, cause }),
  quotaExceeded: (period: 'daily' | 'monthly', retryAfterSeconds: number) =>
    new AppError(
      429,
      'quota_exceeded',
      `Your ${period} execution quota is used up.`,
      { period },
      { retryAfterSeconds },
    ),
  storageQuotaExceeded: () =>
    new AppError(
      413,
      'storage_quota_exceeded',
      'Your storage quota is used up; delete files or projects to make room.',
    ),
  rateLimited: (retryAfterSeconds: number) =>
    new AppError(429, 'rate_limited', 'Too many requests; slow down.', undefined, { retryAfterSeconds }),
  internal: (cause?: unknown) =>
    new AppError(500, 'internal_error', 'Something went wrong on our side.', undefined, { cause }),
};
