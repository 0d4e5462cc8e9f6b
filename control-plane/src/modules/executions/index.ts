import { Elysia, t } from 'elysia';
import { authenticate } from '../../http/auth-guard.js';
import type { TokenService } from '../auth/tokens.js';
import { executeBody, executeQuery, historyQuery } from './model.js';
import type { ExecutionService } from './service.js';

const idParams = t.Object({ executionId: t.String({ maxLength: 64 }) });

export function executionRoutes(executions: ExecutionService, tokens: TokenService) {
  /** `POST /execute` and `/execute/batch`: queue, or with `?wait=true` answer with the result. */
  const submit = async (ctx: {
    body: typeof executeBody.static;
    caller: { userId: string };
    query: typeof executeQuery.static;
    request: Request;
    set: { headers: Record<string, string | number> };
  }) => {
    const key = ctx.request.headers.get('idempotency-key');
    if (key !== null) {
      const r = await executions.submitIdempotent(ctx.caller.userId, key, ctx.body, {
        wait: ctx.query.wait === true,
        signal: ctx.request.signal,
      });
      if (r.replayed) ctx.set.headers['idempotent-replayed'] = 'true';
      return { success: true, data: r.data };
    }
    return {
      success: true,
      data: ctx.query.wait
        ? await executions.submitAndWait(ctx.caller.userId, ctx.body, { signal: ctx.request.signal })
        : await executions.submit(ctx.caller.userId, ctx.body),
    };
  };
  return (
    new Elysia()
      // derive runs before body validation: a request without a token is a 401, whatever its body.
      .derive(async ({ headers }) => ({ caller: await authenticate(headers, tokens) }))
      .post('/execute', submit, { body: executeBody, query: executeQuery })
      .post('/execute/batch', submit, { body: executeBody, query: executeQuery })
      .get(
        '/execute/:executionId',
        async ({ params, caller }) => ({
          success: true,
          data: await executions.get(caller.userId, params.executionId.toLowerCase()),
        }),
        { params: idParams },
      )
      .post(
        '/execute/:executionId/cancel',
        async ({ params, caller, set }) => {
          // Ids are lower-case everywhere (the Redis keys too): an upper-case spelling is the same id.
          const data = await executions.cancel(caller.userId, params.executionId.toLowerCase());
          set.status = data.status === 'cancelled' ? 200 : 202;
          return { success: true, data };
        },
        { params: idParams },
      )
      .get(
        '/executions',
        async ({ query, caller }) => ({ success: true, data: await executions.list(caller.userId, query) }),
        { query: historyQuery },
      )
  );
}
