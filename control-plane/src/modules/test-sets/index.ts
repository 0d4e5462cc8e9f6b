import { Elysia } from 'elysia';
import { authenticate, optionalCaller } from '../../http/auth-guard.js';
import type { TokenService } from '../auth/tokens.js';
import { answers, data, done } from '../../http/answers.js';
import { testSetAnswer, testSetBody, testSetListAnswer, testSetListQuery, testSetParams } from './model.js';
import type { TestSetService } from './service.js';

/** Reading a set: the owner's, or a public or unlisted one by anyone with its id (no token needed). */
export function publicTestSetRoutes(testSets: TestSetService, tokens: TokenService) {
  return new Elysia({ prefix: '/test-sets' }).get(
    '/:testSetId',
    async ({ params, headers }) => {
      const caller = await optionalCaller(headers, tokens);
      return { success: true, data: await testSets.get(caller?.userId ?? null, params.testSetId) };
    },
    { params: testSetParams, detail: answers({ 200: data(testSetAnswer) }) },
  );
}

export function testSetRoutes(testSets: TestSetService, tokens: TokenService) {
  return new Elysia({ prefix: '/test-sets' })
    .derive(async ({ headers }) => ({ caller: await authenticate(headers, tokens) }))
    .get(
      '',
      async ({ query, caller }) => ({ success: true, data: await testSets.list(caller.userId, query) }),
      { query: testSetListQuery, detail: answers({ 200: data(testSetListAnswer) }) },
    )
    .post(
      '',
      async ({ body, caller, set }) => {
        set.status = 201;
        return { success: true, data: await testSets.create(caller.userId, body) };
      },
      { body: testSetBody, detail: answers({ 201: data(testSetAnswer) }) },
    )
    .put(
      '/:testSetId',
      async ({ params, body, caller }) => ({
        success: true,
        data: await testSets.replace(caller.userId, params.testSetId, body),
      }),
      { params: testSetParams, body: testSetBody, detail: answers({ 200: data(testSetAnswer) }) },
    )
    .delete(
      '/:testSetId',
      async ({ params, caller }) => {
        await testSets.remove(caller.userId, params.testSetId);
        return { success: true, message: 'Test set deleted' };
      },
      { params: testSetParams, detail: answers({ 200: done }) },
    );
}
