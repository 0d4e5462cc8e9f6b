import { create } from '@bufbuild/protobuf';
import type { HandlerContext } from '@connectrpc/connect';
import {
  Status,
  SubmitResponseSchema,
  type SubmitRequest,
  type SubmitResponse,
} from '@muscode/proto/execution/v1';
import type { ExecutionService } from '../../modules/executions/service.js';
import { specToBody } from '../execution-convert.js';
import type { RpcAuth } from './auth.js';

/**
 * Queues an execution. With the metadata `idempotency-key`, the same rules as REST's
 * Idempotency-Key (one record per user and key, shared with REST): a retry with the same spec
 * answers the first execution's id (metadata `idempotent-replayed: true` in the answer), the
 * same key with another spec is INVALID_ARGUMENT, one still being submitted ALREADY_EXISTS.
 */
export function submit(deps: { auth: RpcAuth; executions: ExecutionService }) {
  return async (req: SubmitRequest, ctx: HandlerContext): Promise<SubmitResponse> => {
    const caller = await deps.auth(ctx, 'execute');
    const body = specToBody(req.spec);
    const key = ctx.requestHeader.get('idempotency-key');
    let executionId: string;
    if (key !== null) {
      const r = await deps.executions.submitIdempotent(caller.userId, key, body);
      if (r.replayed) ctx.responseHeader.set('idempotent-replayed', 'true');
      executionId = (r.data as { executionId: string }).executionId;
    } else {
      executionId = (await deps.executions.submit(caller.userId, body)).executionId;
    }
    return create(SubmitResponseSchema, { executionId, status: Status.QUEUED });
  };
}
