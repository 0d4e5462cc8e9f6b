import { errors } from '../errors.js';
import { apiKeyPrefix } from '../modules/api-keys/service.js';
import type { ApiKeyScope } from '../modules/api-keys/model.js';
import type { ApiKeyService } from '../modules/api-keys/service.js';
import type { TokenService } from '../modules/auth/tokens.js';

/**
 * The user behind a credential of the compatibility APIs: a MUSCode API key (`msk_…`, which
 * must carry `scope`) or an access token. Answers unauthorized / forbidden as AppErrors.
 */
export async function userOfCredential(
  credential: string | undefined,
  scope: ApiKeyScope,
  deps: { apiKeys: ApiKeyService; tokens: TokenService },
): Promise<string> {
  const value = credential?.replace(/^Bearer\s+/i, '').trim();
  if (!value) throw errors.unauthorized('An API key is required.');
  if (value.startsWith(apiKeyPrefix)) {
    const key = await deps.apiKeys.authenticate(value);
    if (!key.scopes.includes(scope)) throw errors.forbidden(`The API key lacks the "${scope}" scope.`);
    return key.userId;
  }
  return (await deps.tokens.verifyAccess(value)).userId;
}
