import type { HandlerContext } from '@connectrpc/connect';
import { AppError, errors } from '../../errors.js';
import { apiKeyPrefix, type ApiKeyService } from '../../modules/api-keys/service.js';
import type { ApiKeyScope } from '../../modules/api-keys/model.js';
import type { TokenService } from '../../modules/auth/tokens.js';
import type { RateLimiter } from '../../http/rate-limit.js';
import { bearer } from '../errors.js';

export interface RpcCaller {
  userId: string;
  /** Set when the call came with an API key rather than a user's access token. */
  apiKeyId?: string;
}

/**
 * The caller of an ExecutionService call: `authorization: Bearer <API key | access token>`.
 * An access token carries every scope; an API key only those it was made with. Each call
 * counts against the caller's per-user rate limit, the same bucket its REST requests count
 * against (so the gRPC port is no way around it); over the limit it is RESOURCE_EXHAUSTED.
 */
export function createRpcAuth(deps: {
  tokens: TokenService;
  apiKeys: ApiKeyService;
  limiter?: RateLimiter;
  perUserLimit?: number;
}) {
  const limit = async (caller: RpcCaller): Promise<RpcCaller> => {
    if (!deps.limiter || !deps.perUserLimit) return caller;
    const d = await deps.limiter.take([{ scope: 'user', subject: caller.userId, limit: deps.perUserLimit }]);
    if (d && !d.allowed) throw errors.rateLimited(d.resetSeconds);
    return caller;
  };
  return async (ctx: HandlerContext, scope: ApiKeyScope): Promise<RpcCaller> => {
    const token = bearer(ctx.requestHeader);
    if (!token) throw errors.unauthorized('Send `authorization: Bearer <API key or access token>`.');
    if (token.startsWith(apiKeyPrefix)) {
      const key = await deps.apiKeys.authenticate(token);
      if (!key.scopes.includes(scope)) {
        throw errors.forbidden(`this API key lacks the "${scope}" scope`);
      }
      return limit({ userId: key.userId, apiKeyId: key.keyId });
    }
    const claims = await deps.tokens.verifyAccess(token);
    return limit({ userId: claims.userId });
  };
}

export type RpcAuth = ReturnType<typeof createRpcAuth>;

/**
 * Whether a bearer token is a live API key or a valid access token, without any rate-limit
 * charge or scope check: the server asks it before reading a request's body, so a caller with
 * bad credentials costs no read of its message. Failures of the check itself (the database
 * down) answer true: the handler's own authentication then gives the right error.
 */
export function createCredentialCheck(deps: { tokens: TokenService; apiKeys: ApiKeyService }) {
  return async (token: string): Promise<boolean> => {
    try {
      if (token.startsWith(apiKeyPrefix)) await deps.apiKeys.authenticate(token);
      else await deps.tokens.verifyAccess(token);
      return true;
    } catch (err) {
      return !(err instanceof AppError && err.reason === 'unauthenticated');
    }
  };
}
