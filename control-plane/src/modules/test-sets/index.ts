import { Elysia } from 'elysia';
import { authenticate, optionalCaller } from '../../http/auth-guard.js';
import type { TokenService } from '../auth/tokens.js';
import { testSetBody, testSetListQuery, testSetParams } from './model.js';
import type { TestSetService } from './service.js';

/** Reading a set: the owner's, or a public or unlisted one by anyone with its id (no token needed). */
export function publicTestSetRoutes(testSets: TestSetService, tokens: TokenService) {
  return new Elysia({ prefix: '/test-sets' }).get(
    '/:testSetId',
    async ({ params, headers }) => {
      const caller = await optionalCaller(headers, tokens);
      return { success: true, data: await testSets.get(caller?.userId ?? null, params.testSetId) };
    },
    { params: testSetParams },
  );
}

export function testSetRoutes(testSets: TestSetService, tokens: TokenService) {
  return new Elysia({ prefix: '/test-sets' })
    .derive(async ({ headers }) => ({ caller: await authenticate(headers, tokens) }))
    .get(
      '',
      async ({ query, caller }) => ({ success: true, data: await testSets.list(caller.userId, query) }),
      {
        query: testSetListQuery,
      },
    )
    .post(
      '',
      async ({ body, caller, set }) => {
        set.status = 201;
        return { success: true, data: await testSets.create(caller.userId, body) };
      },
      { body: testSetBody },
    )
    .put(
      '/:testSetId',
      async ({ params, body, caller }) => ({
        success: true,
        data: await testSets.replace(caller.userId, params.testSetId, body),
      }),
      { params: testSetParams, body: testSetBody },
    )
    .delete(
      '/:testSetId',
      async ({ params, caller }) => {
        await testSets.remove(caller.userId, params.testSetId);
        return { success: true, message: 'Test set deleted' };
      },
      { params: testSetParams },
    );
}
