import type { Redis } from 'ioredis';
import { redisKeys } from '@muscode/common';
import { errors } from '../../errors.js';

export interface JtiDenylist {
  /** Denies an access token until it expires (`expiresAt`, seconds since the epoch). */
  deny(jti: string, expiresAt: number): Promise<void>;
  isDenied(jti: string): Promise<boolean>;
  /** Remembers an access token issued for a session, so that `denySession` can reach it. */
  remember(sessionId: string, jti: string, expiresAt: number): Promise<void>;
  /** Denies every access token still alive that was issued for the session. */
  denySession(sessionId: string): Promise<number>;
}

/**
 * Access tokens revoked before their expiry (logout), by `jti`, in Redis so that every
 * control-plane instance (and gateway) sees them. Each key expires with its token, so the list
 * never outgrows the tokens still alive.
 */
export function createJtiDenylist(redis: Redis, prefix: string): JtiDenylist {
  const keys = redisKeys(prefix);
  // jti:expiresAt of each access token of a session; the set lives as long as its newest token.
  const sessionKey = (sessionId: string) => `${prefix}auth:session-jtis:${sessionId}`;
  return {
    async remember(sessionId, jti, expiresAt) {
      await redis
        .multi()
        .sadd(sessionKey(sessionId), `${jti}:${expiresAt}`)
        .expireat(sessionKey(sessionId), expiresAt)
        .exec();
    },
    async denySession(sessionId) {
      const members = await redis.smembers(sessionKey(sessionId));
      const now = Date.now() / 1000;
      const alive = members
        .map((m) => {
          const at = m.lastIndexOf(':');
          return { jti: m.slice(0, at), expiresAt: Number(m.slice(at + 1)) };
        })
        .filter((t) => t.expiresAt > now);
      if (alive.length > 0) {
        const multi = redis.multi();
        for (const t of alive) multi.set(keys.deniedJti(t.jti), '1', 'EXAT', t.expiresAt);
        await multi.exec();
      }
      return alive.length;
    },
    async deny(jti, expiresAt) {
      if (expiresAt * 1000 <= Date.now()) return;
      await redis.set(keys.deniedJti(jti), '1', 'EXAT', expiresAt);
    },
    async isDenied(jti) {
      try {
        return (await redis.exists(keys.deniedJti(jti))) === 1;
      } catch {
        // Fail closed: without the list we cannot tell a logged-out token from a live one.
        throw errors.unavailable('Token revocation cannot be checked right now.');
      }
    },
  };
}
