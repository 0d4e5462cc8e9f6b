import type { ErrorReason } from '../errors.js';

/**
 * The HTTP edge's answer to each reason an AppError can have (the REST API's statuses). A new
 * reason is a type error here, as in rpc/errors.ts, until it says how it is answered.
 */
export const httpStatusOf: Record<ErrorReason, number> = {
  invalid_argument: 400,
  unauthenticated: 401,
  permission_denied: 403,
  not_found: 404,
  method_not_allowed: 405,
  already_exists: 409,
  failed_precondition: 409,
  precondition_failed: 412,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unprocessable: 422,
  resource_exhausted: 429,
  internal: 500,
  unavailable: 503,
};
