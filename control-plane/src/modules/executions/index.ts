import { Elysia } from 'elysia';
import { authenticate } from '../../http/auth-guard.js';
import type { TokenService } from '../auth/tokens.js';
import { executeBody } from './model.js';
import type { ExecutionService } from './service.js';

export function executionRoutes(executions: ExecutionService, tokens: TokenService) {
  return (
    new Elysia({ prefix: '/execute' })
      // derive runs before body validation: a request without a token is a 401, whatever its body.
      .derive(async ({ headers }) => ({ caller: await authenticate(headers, tokens) }))
      .post(
        '/',
        async ({ body, caller }) => ({ success: true, data: await executions.submit(caller.userId, body) }),
        { body: executeBody },
      )
      .post(
        '/batch',
        async ({ body, caller }) => ({ success: true, data: await executions.submit(caller.userId, body) }),
        { body: executeBody },
      )
      .get('/:executionId', async ({ params, caller }) => ({
        success: true,
        data: await executions.get(caller.userId, params.executionId),
      }))
  );
}
