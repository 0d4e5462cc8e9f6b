import { create } from '@bufbuild/protobuf';
import type { HandlerContext } from '@connectrpc/connect';
import { GetResponseSchema, type GetRequest, type GetResponse } from '@muscode/proto/execution/v1';
import type { ExecutionService } from '../../modules/executions/service.js';
import { viewToExecution } from '../execution-convert.js';
import type { RpcAuth } from './auth.js';

export function get(deps: { auth: RpcAuth; executions: ExecutionService }) {
  return async (req: GetRequest, ctx: HandlerContext): Promise<GetResponse> => {
    const caller = await deps.auth(ctx, 'read');
    const v = await deps.executions.get(caller.userId, req.executionId);
    return create(GetResponseSchema, { execution: viewToExecution(v) });
  };
}
