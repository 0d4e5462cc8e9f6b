import {
  createHash,
  createPrivateKey,
  createPublicKey,
  randomBytes,
  randomUUID,
  type KeyObject,
} from 'node:crypto';
import { readFileSync } from 'node:fs';
import { calculateJwkThumbprint, jwtVerify, SignJWT, type JWK } from 'jose';
import { errors } from '../../errors.js';

export interface AccessClaims {
  userId: string;
  role: string;
  jti: string;
  expiresAt: number;
  /** The login session (refresh-token family) the token was issued for, when there is one. */
  sessionId?: string;
}

export interface TokenService {
  issueAccess(userId: string, role: string, sessionId?: string): Promise<string>;
  /** Signature, issuer, expiry and the logout denylist. */
  verifyAccess(token: string): Promise<AccessClaims>;
  /** Signature, issuer and expiry only (no Redis round trip): for rate-limit keys, not access. */
  verifySignature(token: string): Promise<AccessClaims>;
  /** The public keys, as a JSON Web Key Set, for gateways and internal tools. */
  jwks(): { keys: JWK[] };
}

/**
 * Access tokens are short-lived EdDSA (Ed25519) JWTs with a `kid`, so anything holding the
 * published JWKS verifies them without a shared secret.
 */
export async function createTokenService(opts: {
  privateKeyPem: string;
  issuer: string;
  ttlSeconds: number;
  /** Whether a token was revoked (logout) before its expiry. */
  isDenied?: (jti: string) => Promise<boolean>;
}): Promise<TokenService> {
  const privateKey: KeyObject = createPrivateKey(opts.privateKeyPem);
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new Error('the JWT signing key must be an Ed25519 private key');
  }
  const publicKey = createPublicKey(privateKey);
  const publicJwk = publicKey.export({ format: 'jwk' }) as JWK;
  const kid = await calculateJwkThumbprint(publicJwk);
  const jwk: JWK = { ...publicJwk, kid, alg: 'EdDSA', use: 'sig' };

  // Tokens whose signature and issuer were verified, with their claims: a request presents its
  // token to the rate limiter and to its route, and clients send the same token for minutes.
  // The expiry is checked on every use; the denylist is not cached (verifyAccess asks it).
  const verified = new Map<string, AccessClaims>();
  const verifiedMax = 10_000;

  async function verifySignature(token: string): Promise<AccessClaims> {
    const known = verified.get(token);
    if (known) {
      if (known.expiresAt * 1000 > Date.now()) return known;
      verified.delete(token);
      throw errors.unauthorized('The access token is invalid or expired.');
    }
    const claims = await verifyJwt(token);
    // Oldest first out (a Map iterates in insertion order).
    if (verified.size >= verifiedMax) verified.delete(verified.keys().next().value as string);
    verified.set(token, claims);
    return claims;
  }

  async function verifyJwt(token: string): Promise<AccessClaims> {
    try {
      const { payload } = await jwtVerify(token, publicKey, {
        issuer: opts.issuer,
        algorithms: ['EdDSA'],
      });
      if (!payload.sub || !payload.jti || !payload.exp) throw new Error('missing claims');
      return {
        userId: payload.sub,
        role: typeof payload['role'] === 'string' ? payload['role'] : 'user',
        jti: payload.jti,
        expiresAt: payload.exp,
        ...(typeof payload['sid'] === 'string' ? { sessionId: payload['sid'] } : {}),
      };
    } catch {
      throw errors.unauthorized('The access token is invalid or expired.');
    }
  }

  return {
    async issueAccess(userId, role, sessionId) {
      return new SignJWT(sessionId ? { role, sid: sessionId } : { role })
        .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'JWT' })
        .setIssuer(opts.issuer)
        .setSubject(userId)
        .setJti(randomUUID())
        .setIssuedAt()
        .setExpirationTime(`${opts.ttlSeconds}s`)
        .sign(privateKey);
    },
    async verifyAccess(token) {
      const claims = await verifySignature(token);
      if (opts.isDenied && (await opts.isDenied(claims.jti))) {
        throw errors.unauthorized('The access token has been revoked.');
      }
      return claims;
    },
    verifySignature,
    jwks: () => ({ keys: [jwk] }),
  };
}

export function readPrivateKeyFile(path: string): string {
  return readFileSync(path, 'utf8');
}

/** A random refresh token and the hash that is all the database keeps of it. */
export function newRefreshToken(): { token: string; hash: Buffer } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashRefreshToken(token) };
}

export function hashRefreshToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
