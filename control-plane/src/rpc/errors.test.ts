import { Code, ConnectError } from '@connectrpc/connect';
import { createLogger } from '@muscode/common';
import { describe, expect, it } from 'vitest';
import { errors } from '../errors.js';
import { toConnectError } from './errors.js';

const log = createLogger('test', 'silent');

describe('one AppError, answered per edge', () => {
  it('derives the HTTP status and the Connect code from the reason', () => {
    const cases = [
      [errors.validation('x'), 400, Code.InvalidArgument],
      [errors.unauthorized(), 401, Code.Unauthenticated],
      [errors.forbidden('x'), 403, Code.PermissionDenied],
      [errors.notFound('x'), 404, Code.NotFound],
      [errors.conflict('file_exists', 'x'), 409, Code.AlreadyExists],
      [errors.failedPrecondition('execution_finished', 'x'), 409, Code.FailedPrecondition],
      [errors.preconditionFailed('x'), 412, Code.FailedPrecondition],
      [errors.unprocessable('idempotency_key_reused', 'x'), 422, Code.InvalidArgument],
      [errors.rateLimited(1), 429, Code.ResourceExhausted],
      [errors.unavailable('x'), 503, Code.Unavailable],
      [errors.internal(), 500, Code.Internal],
    ] as const;
    for (const [err, status, code] of cases) {
      expect(err.status, err.code).toBe(status);
      expect(toConnectError(err, log).code, err.code).toBe(code);
    }
  });

  it('answers anything else as internal, without its message', () => {
    const out = toConnectError(new Error('secret detail'), log);
    expect(out).toBeInstanceOf(ConnectError);
    expect(out.code).toBe(Code.Internal);
    expect(out.message).not.toContain('secret detail');
  });
});
