import { create } from '@bufbuild/protobuf';
import type { HandlerContext } from '@connectrpc/connect';
import { CancelResponseSchema, type CancelRequest, type CancelResponse } from '@muscode/proto/execution/v1';
import type { ExecutionService } from '../../modules/executions/service.js';
import { viewToExecution } from '../execution-convert.js';
import type { RpcAuth } from './auth.js';

export function cancel(deps: { auth: RpcAuth; executions: ExecutionService }) {
  return async (req: CancelRequest, ctx: HandlerContext): Promise<CancelResponse> => {
    const caller = await deps.auth(ctx, 'execute');
    // A finished execution is a `failed_precondition` AppError: FAILED_PRECONDITION here.
    await deps.executions.cancel(caller.userId, req.executionId);
    const v = await deps.executions.get(caller.userId, req.executionId);
    return create(CancelResponseSchema, { execution: viewToExecution(v) });
  };
}
