import { create } from '@bufbuild/protobuf';
import { type HandlerContext } from '@connectrpc/connect';
import type { Redis } from 'ioredis';
import type { Logger } from '@muscode/common';
import {
  ExecuteResponseSchema,
  GetResponseSchema,
  OutputStream,
  Status,
  SubmitResponseSchema,
  type ExecuteRequest,
  type ExecuteResponse,
  type GetRequest,
  type GetResponse,
  type SubmitRequest,
  type SubmitResponse,
} from '@muscode/proto/execution/v1';
import { errors } from '../errors.js';
import type { Streams } from '../infra/streams.js';
import type { TokenService } from '../modules/auth/tokens.js';
import type { ExecutionService } from '../modules/executions/service.js';
import { bearer, guarded } from './errors.js';
import { specToBody, toStatus, viewToExecution } from './execution-convert.js';

const outputStreams = {
  stdout: OutputStream.STDOUT,
  stderr: OutputStream.STDERR,
  compile: OutputStream.COMPILE,
} as const;

/** `muscode.execution.v1.ExecutionService` for internal tools, authenticated by access token. */
export function executionRpc(deps: {
  executions: ExecutionService;
  tokens: TokenService;
  streams: Streams;
  redis: Redis;
  log: Logger;
}) {
  const caller = async (ctx: HandlerContext) => {
    const token = bearer(ctx.requestHeader);
    if (!token) throw errors.unauthorized();
    return deps.tokens.verifyAccess(token);
  };
  const log = deps.log.child({ component: 'execution-rpc' });

  return {
    submit: guarded(log, async (req: SubmitRequest, ctx: HandlerContext): Promise<SubmitResponse> => {
      const user = await caller(ctx);
      const r = await deps.executions.submit(user.userId, specToBody(req.spec));
      return create(SubmitResponseSchema, { executionId: r.executionId, status: Status.QUEUED });
    }),

    get: guarded(log, async (req: GetRequest, ctx: HandlerContext): Promise<GetResponse> => {
      const user = await caller(ctx);
      const v = await deps.executions.get(user.userId, req.executionId);
      return create(GetResponseSchema, { execution: viewToExecution(v) });
    }),

    async *execute(req: ExecuteRequest, ctx: HandlerContext): AsyncGenerator<ExecuteResponse> {
      const run = guarded(log, async () => {
        const user = await caller(ctx);
        return { user, submitted: await deps.executions.submit(user.userId, specToBody(req.spec)) };
      });
      const { user, submitted } = await run();
      const executionId = submitted.executionId;
      yield create(ExecuteResponseSchema, {
        event: { case: 'status', value: { executionId, status: Status.QUEUED } },
      });
      // XREAD BLOCK holds its connection, so each follower gets one of its own.
      const conn = deps.redis.duplicate();
      try {
        let after = '0';
        while (!ctx.signal.aborted) {
          const events = await deps.streams.readEvents(conn, executionId, after, 5000);
          for (const { id, event } of events) {
            after = id;
            if (event.type === 'status') {
              yield create(ExecuteResponseSchema, {
                event: { case: 'status', value: { executionId, status: toStatus(event.status) } },
              });
            } else if (event.type === 'output') {
              yield create(ExecuteResponseSchema, {
                event: {
                  case: 'output',
                  value: {
                    stream: outputStreams[event.stream],
                    data: Buffer.from(event.data, 'base64'),
                    seq: event.seq,
                  },
                },
              });
            } else {
              const v = await deps.executions.get(user.userId, executionId);
              yield create(ExecuteResponseSchema, { event: { case: 'result', value: viewToExecution(v) } });
              return;
            }
          }
        }
      } finally {
        conn.disconnect();
      }
    },
  };
}
