import type { Redis } from 'ioredis';
import { redisKeys } from '@muscode/common';
import { errors } from '../../errors.js';

export interface JtiDenylist {
  /** Denies an access token until it expires (`expiresAt`, seconds since the epoch). */
  deny(jti: string, expiresAt: number): Promise<void>;
  isDenied(jti: string): Promise<boolean>;
}

/**
 * Access tokens revoked before their expiry (logout), by `jti`, in Redis so that every
 * control-plane instance (and gateway) sees them. Each key expires with its token, so the list
 * never outgrows the tokens still alive.
 */
export function createJtiDenylist(redis: Redis, prefix: string): JtiDenylist {
  const keys = redisKeys(prefix);
  return {
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
