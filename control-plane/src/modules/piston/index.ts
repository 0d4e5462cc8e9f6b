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
  type Ctx = {
    params?: Record<string, string | undefined>;
    headers: Record<string, string | undefined>;
    body: unknown;
    set: Set;
    request: Request;
  };
  /** A handler of the caller's request (key in the path, else `Authorization`), errors in Piston's shape. */
  const withUser =
    (fn: (userId: string, ctx: Ctx) => Promise<unknown>) =>
    async (ctx: Ctx): Promise<unknown> => {
      try {
        const credential = ctx.params?.['key'] ?? ctx.headers['authorization'];
        return await fn(await userOfCredential(credential, 'execute', deps), ctx);
      } catch (err) {
        return pistonError(err, ctx.set);
      }
    };
  const execute = withUser((userId, ctx) => deps.piston.execute(userId, ctx.body, ctx.request.signal));
  // What the gateway's interactive WebSocket (/api/v2/connect) runs on: start, read, kill.
  const start = withUser(async (userId, ctx) => {
    ctx.set.status = 201;
    return deps.piston.startInteractive(userId, ctx.body);
  });
  const read = withUser((userId, ctx) => deps.piston.view(userId, ctx.params?.['id'] ?? ''));
  const kill = withUser((userId, ctx) => deps.piston.cancel(userId, ctx.params?.['id'] ?? ''));
  return new Elysia({ prefix: '/piston' })
    .get('/api/v2/runtimes', runtimes)
    .post('/api/v2/execute', execute)
    .post('/api/v2/interactive', start)
    .get('/api/v2/interactive/:id', read)
    .post('/api/v2/interactive/:id/kill', kill)
    .get('/:key/api/v2/runtimes', runtimes)
    .post('/:key/api/v2/execute', execute)
    .post('/:key/api/v2/interactive', start)
    .get('/:key/api/v2/interactive/:id', read)
    .post('/:key/api/v2/interactive/:id/kill', kill);
}
