import type { HandlerContext } from '@connectrpc/connect';
import type { Redis } from 'ioredis';
import type { Logger } from '@muscode/common';
import type { ExecuteRequest, ExecuteResponse } from '@muscode/proto/execution/v1';
import type { Streams } from '../../infra/streams.js';
import type { ExecutionService } from '../../modules/executions/service.js';
import { guarded } from '../errors.js';
import { specToBody } from '../execution-convert.js';
import type { RpcAuth } from './auth.js';
import { followExecution } from './follow.js';

export function execute(deps: {
  auth: RpcAuth;
  executions: ExecutionService;
  streams: Streams;
  redis: Redis;
  log: Logger;
}) {
  return async function* (req: ExecuteRequest, ctx: HandlerContext): AsyncGenerator<ExecuteResponse> {
    const { caller, executionId } = await guarded(deps.log, async () => {
      const caller = await deps.auth(ctx, 'execute');
      const r = await deps.executions.submit(caller.userId, specToBody(req.spec));
      return { caller, executionId: r.executionId };
    })();
    yield* followExecution({ ...deps, userId: caller.userId, executionId, signal: ctx.signal });
  };
}
