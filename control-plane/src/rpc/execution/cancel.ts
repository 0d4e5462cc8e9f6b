import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, type HandlerContext } from '@connectrpc/connect';
import { CancelResponseSchema, type CancelRequest, type CancelResponse } from '@muscode/proto/execution/v1';
import { AppError } from '../../errors.js';
import type { ExecutionService } from '../../modules/executions/service.js';
import { viewToExecution } from '../execution-convert.js';
import type { RpcAuth } from './auth.js';

export function cancel(deps: { auth: RpcAuth; executions: ExecutionService }) {
  return async (req: CancelRequest, ctx: HandlerContext): Promise<CancelResponse> => {
    const caller = await deps.auth(ctx, 'execute');
    try {
      await deps.executions.cancel(caller.userId, req.executionId);
    } catch (err) {
      if (err instanceof AppError && err.code === 'execution_finished') {
        throw new ConnectError(err.message, Code.FailedPrecondition);
      }
      throw err;
    }
    const v = await deps.executions.get(caller.userId, req.executionId);
    return create(CancelResponseSchema, { execution: viewToExecution(v) });
  };
}
