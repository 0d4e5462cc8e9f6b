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

export function submit(deps: { auth: RpcAuth; executions: ExecutionService }) {
  return async (req: SubmitRequest, ctx: HandlerContext): Promise<SubmitResponse> => {
    const caller = await deps.auth(ctx, 'execute');
    const r = await deps.executions.submit(caller.userId, specToBody(req.spec));
    return create(SubmitResponseSchema, { executionId: r.executionId, status: Status.QUEUED });
  };
}
