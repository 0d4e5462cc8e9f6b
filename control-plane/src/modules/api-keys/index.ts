import { Elysia, t } from 'elysia';
import { authenticate } from '../../http/auth-guard.js';
import type { TokenService } from '../auth/tokens.js';
import { answers, data } from '../../http/answers.js';
import {
  apiKeyAnswer,
  apiKeyParams,
  createApiKeyBody,
  createdApiKeyAnswer,
  revokedApiKeyAnswer,
} from './model.js';
import type { ApiKeyService } from './service.js';

/** `/api-keys`: a signed-in user manages the API keys of their internal tools. */
export function apiKeyRoutes(apiKeys: ApiKeyService, tokens: TokenService) {
  return new Elysia({ prefix: '/api-keys' })
    .derive(async ({ headers }) => ({ caller: await authenticate(headers, tokens) }))
    .post(
      '/',
      async ({ body, caller, set }) => {
        set.status = 201;
        return { success: true, data: await apiKeys.create(caller.userId, body) };
      },
      { body: createApiKeyBody, detail: answers({ 201: data(createdApiKeyAnswer) }) },
    )
    .get('/', async ({ caller }) => ({ success: true, data: await apiKeys.list(caller.userId) }), {
      detail: answers({ 200: data(t.Array(apiKeyAnswer)) }),
    })
    .delete(
      '/:keyId',
      async ({ params, caller }) => {
        await apiKeys.revoke(caller.userId, params.keyId);
        return { success: true, data: { id: params.keyId, revoked: true } };
      },
      { params: apiKeyParams, detail: answers({ 200: data(revokedApiKeyAnswer) }) },
    );
}
