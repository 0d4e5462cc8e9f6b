import { Elysia } from 'elysia';
import { AppError } from '../../errors.js';
import { userOfCredential } from '../../http/key-auth.js';
import type { ApiKeyService } from '../api-keys/service.js';
import type { TokenService } from '../auth/tokens.js';
import { PistonInvalid, type PistonService } from './service.js';

type Set = { status?: number | string; headers: Record<string, string | number> };

/** Errors in Piston's shape: `{ message }`. */
function pistonError(err: unknown, set: Set): unknown {
  if (err instanceof PistonInvalid) {
    set.status = 400;
    return { message: err.message };
  }
  if (err instanceof AppError && err.status < 500) {
    set.status = err.status;
    if (err.retryAfterSeconds !== undefined) set.headers['retry-after'] = String(err.retryAfterSeconds);
    return { message: err.message };
  }
  throw err;
}

/**
 * Piston v2's API under /piston, and under /piston/<key> for clients that can send no header
 * (piston-client): the key in the path, else `Authorization`. The key is never logged.
 */
export function pistonRoutes(deps: { piston: PistonService; apiKeys: ApiKeyService; tokens: TokenService }) {
  const runtimes = async () => deps.piston.runtimes();
  const execute = async (ctx: {
    params?: Record<string, string | undefined>;
    headers: Record<string, string | undefined>;
    body: unknown;
    set: Set;
    request: Request;
  }) => {
    try {
      const credential = ctx.params?.['key'] ?? ctx.headers['authorization'];
      const userId = await userOfCredential(credential, 'execute', deps);
      return await deps.piston.execute(userId, ctx.body, ctx.request.signal);
    } catch (err) {
      return pistonError(err, ctx.set);
    }
  };
  return new Elysia({ prefix: '/piston' })
    .get('/api/v2/runtimes', runtimes)
    .post('/api/v2/execute', execute)
    .get('/:key/api/v2/runtimes', runtimes)
    .post('/:key/api/v2/execute', execute);
}
