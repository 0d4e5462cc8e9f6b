import { createRemoteJWKSet, errors as joseErrors, jwtVerify } from 'jose';

export interface Caller {
  userId: string;
  /** Expiry of the access token, in seconds since the epoch. */
  expiresAt: number;
}

export class AuthError extends Error {
  constructor(
    readonly reason: 'missing' | 'expired' | 'invalid' | 'unavailable',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Verifies access tokens against the control-plane's JWKS (EdDSA, with `kid`). The key set is
 * fetched lazily and cached; an unknown `kid` triggers one refetch (rate-limited by jose).
 */
export function createTokenVerifier(opts: {
  jwksUrl: string;
  issuer: string;
  cacheSeconds: number;
  /** Whether a token id was revoked by logout (the control-plane's denylist in Redis). */
  isRevoked: (jti: string) => Promise<boolean>;
}) {
  const jwks = createRemoteJWKSet(new URL(opts.jwksUrl), {
    cacheMaxAge: opts.cacheSeconds * 1000,
    cooldownDuration: 30_000,
    timeoutDuration: 5000,
  });
  return async (token: string | null): Promise<Caller> => {
    if (!token) throw new AuthError('missing', 'An access token is required.');
    try {
      const { payload } = await jwtVerify(token, jwks, { issuer: opts.issuer, algorithms: ['EdDSA'] });
      if (!payload.sub || !payload.exp || !payload.jti) {
        throw new AuthError('invalid', 'The access token is invalid.');
      }
      if (await opts.isRevoked(payload.jti)) throw new AuthError('invalid', 'The access token was revoked.');
      return { userId: payload.sub, expiresAt: payload.exp };
    } catch (err) {
      if (err instanceof AuthError) throw err;
      if (err instanceof joseErrors.JWTExpired)
        throw new AuthError('expired', 'The access token has expired.');
      // The key set could not be fetched: not the caller's fault, and worth a retry.
      if (err instanceof joseErrors.JWKSTimeout || !(err instanceof joseErrors.JOSEError)) {
        throw new AuthError('unavailable', 'Tokens cannot be verified right now; try again shortly.');
      }
      throw new AuthError('invalid', 'The access token is invalid.');
    }
  };
}

export type TokenVerifier = ReturnType<typeof createTokenVerifier>;
