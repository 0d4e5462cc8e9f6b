import { errors } from '../errors.js';
import type { AccessClaims, TokenService } from '../modules/auth/tokens.js';

/** The caller of a request, from its `Authorization: Bearer` access token. */
export async function authenticate(
  headers: Record<string, string | undefined>,
  tokens: TokenService,
): Promise<AccessClaims> {
  const header = headers['authorization'];
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  if (!match?.[1]) throw errors.unauthorized();
  return tokens.verifyAccess(match[1]);
}

/** The caller when the request carries a token (which must then be valid); null when it carries none. */
export async function optionalCaller(
  headers: Record<string, string | undefined>,
  tokens: TokenService,
): Promise<AccessClaims | null> {
  return headers['authorization'] ? authenticate(headers, tokens) : null;
}

/** Best-effort client address for audit and rate limiting. */
export function clientInfo(headers: Record<string, string | undefined>) {
  const forwarded = headers['x-forwarded-for']?.split(',')[0]?.trim();
  const ip = forwarded && /^[0-9a-fA-F:.]{2,45}$/.test(forwarded) ? forwarded : null;
  return { ip, userAgent: headers['user-agent']?.slice(0, 500) ?? null };
}
