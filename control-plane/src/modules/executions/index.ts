import { Elysia, t } from 'elysia';
import { errors } from '../../errors.js';
import { authenticate } from '../../http/auth-guard.js';
import type { TokenService } from '../auth/tokens.js';
import { answers, bytes, data } from '../../http/answers.js';
import {
  cancelAnswer,
  executeBody,
  executeQuery,
  executionAnswer,
  historyAnswer,
  historyQuery,
  submitAnswer,
} from './model.js';
import { readAll } from './outputs.js';
import type { ExecutionService, RangeRequest } from './service.js';

const idParams = t.Object({ executionId: t.String({ maxLength: 64 }) });
const outputParams = t.Object({
  executionId: t.String({ maxLength: 64 }),
  stream: t.Union([t.Literal('stdout'), t.Literal('stderr')]),
});

/**
 * One range of `Range: bytes=…` (RFC 9110). Anything else (several ranges, another unit, a
 * malformed value) is ignored, as the RFC allows, and the whole stream is sent.
 */
export function parseRange(header: string | null): RangeRequest | undefined {
  const m = header && /^bytes=(\d{0,15})-(\d{0,15})$/.exec(header.trim());
  if (!m) return undefined;
  const [, a = '', b = ''] = m;
  if (a === '' && b === '') return undefined;
  if (a === '') return { suffix: Number(b) };
  if (b !== '' && Number(b) < Number(a)) return undefined;
  return b === '' ? { start: Number(a) } : { start: Number(a), end: Number(b) };
}

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
      .post('/execute', submit, {
        body: executeBody,
        query: executeQuery,
        detail: answers({ 200: data(submitAnswer) }),
      })
      .post('/execute/batch', submit, {
        body: executeBody,
        query: executeQuery,
        detail: answers({ 200: data(submitAnswer) }),
      })
      .get(
        '/execute/:executionId',
        async ({ params, caller }) => ({
          success: true,
          data: await executions.get(caller.userId, params.executionId.toLowerCase()),
        }),
        { params: idParams, detail: answers({ 200: data(executionAnswer) }) },
      )
      .get(
        '/execute/:executionId/output/:stream',
        async ({ params, caller, request }) => {
          const want = parseRange(request.headers.get('range'));
          const id = params.executionId.toLowerCase();
          const r = await executions.output(caller.userId, id, params.stream, want);
          const headers: Record<string, string> = {
            'content-type': 'application/octet-stream',
            'accept-ranges': 'bytes',
            'cache-control': 'private, no-store',
          };
          if (!r) throw errors.notFound('Output (expired)');
          if ('unsatisfiable' in r) {
            return new Response(
              JSON.stringify({
                success: false,
                error: {
                  code: 'range_not_satisfiable',
                  message: `The ${params.stream} has ${r.size} bytes.`,
                },
              }),
              {
                status: 416,
                headers: { 'content-type': 'application/json', 'content-range': `bytes */${r.size}` },
              },
            );
          }
          const body = Buffer.isBuffer(r.bytes) ? r.bytes : await readAll(r.bytes);
          headers['content-length'] = String(body.length);
          if (r.range) headers['content-range'] = `bytes ${r.range.start}-${r.range.end}/${r.size}`;
          return new Response(body, { status: r.range ? 206 : 200, headers });
        },
        {
          params: outputParams,
          detail: answers({ 200: bytes('application/octet-stream'), 206: bytes('application/octet-stream') }),
        },
      )
      .post(
        '/execute/:executionId/cancel',
        async ({ params, caller, set }) => {
          // Ids are lower-case everywhere (the Redis keys too): an upper-case spelling is the same id.
          const data = await executions.cancel(caller.userId, params.executionId.toLowerCase());
          set.status = data.status === 'cancelled' ? 200 : 202;
          return { success: true, data };
        },
        { params: idParams, detail: answers({ 200: data(cancelAnswer), 202: data(cancelAnswer) }) },
      )
      .get(
        '/executions',
        async ({ query, caller }) => ({ success: true, data: await executions.list(caller.userId, query) }),
        { query: historyQuery, detail: answers({ 200: data(historyAnswer) }) },
      )
  );
}
