import { clientAddress, type TrustedProxies } from '@muscode/common';
import { errors } from '../errors.js';
import type { TokenService } from '../modules/auth/tokens.js';
import { clientInfo } from './auth-guard.js';
import type { Bucket, RateLimiter } from './rate-limit.js';

export interface RateLimits {
  /** Whose X-Forwarded-For is believed (CP_TRUSTED_PROXIES). */
  trustedProxies: TrustedProxies;
  perIp: number;
  perUser: number;
  /** Login attempts per address: far fewer than other requests (password guessing). */
  loginPerIp: number;
  /** Registrations per address (mass sign-up). */
  registerPerIp: number;
}

/** Health probes are not counted: monitors poll them, and a 429 would read as an outage. */
const unlimitedPaths = new Set(['/health', '/api/v1/health']);

/**
 * Counts each request against its client address, its user (when it carries a valid access
 * token) and, for logins, the stricter login bucket. Sets RateLimit-Limit/-Remaining/-Reset
 * from the most restrictive bucket; over a limit it answers 429 with Retry-After.
 */
export function rateLimitHook(limiter: RateLimiter, tokens: TokenService, limits: RateLimits) {
  return async ({
    request,
    set,
  }: {
    request: Request;
    set: { headers: Record<string, string | number> };
  }) => {
    // The one place the client's address is decided: later readers (clientInfo) see only it.
    const peer = (request as { runtime?: { node?: { req?: { socket?: { remoteAddress?: string } } } } })
      .runtime?.node?.req?.socket?.remoteAddress;
    if (peer !== undefined) {
      const forwarded = request.headers.get('x-forwarded-for');
      request.headers.set(
        'x-forwarded-for',
        clientAddress(peer, forwarded === null ? [] : [forwarded], limits.trustedProxies),
      );
    }
    // Trailing slashes are stripped as the router ignores them: `/auth/login/` is a login too.
    const path = new URL(request.url).pathname.replace(/\/+$/, '') || '/';
    if (unlimitedPaths.has(path)) return;
    const headers = Object.fromEntries(request.headers.entries());
    const { ip } = clientInfo(headers);
    const buckets: Bucket[] = [{ scope: 'ip', subject: ip ?? 'unknown', limit: limits.perIp }];
    const bearer = /^Bearer\s+(\S+)$/i.exec(headers['authorization'] ?? '')?.[1];
    if (bearer) {
      // Signature only: no Redis round trip; a bad token is answered 401 by the route.
      const claims = await tokens.verifySignature(bearer).catch(() => null);
      if (claims) buckets.push({ scope: 'user', subject: claims.userId, limit: limits.perUser });
    }
    if (request.method === 'POST' && path.endsWith('/auth/login')) {
      buckets.push({ scope: 'login', subject: ip ?? 'unknown', limit: limits.loginPerIp });
    }
    if (request.method === 'POST' && path.endsWith('/auth/register')) {
      buckets.push({ scope: 'register', subject: ip ?? 'unknown', limit: limits.registerPerIp });
    }
    const d = await limiter.take(buckets);
    if (!d) return;
    set.headers['ratelimit-limit'] = String(d.limit);
    set.headers['ratelimit-remaining'] = String(d.remaining);
    set.headers['ratelimit-reset'] = String(d.resetSeconds);
    if (!d.allowed) throw errors.rateLimited(d.resetSeconds);
  };
}
