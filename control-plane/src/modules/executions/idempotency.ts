import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { errors } from '../../errors.js';

/** What a submission under an Idempotency-Key answered: replayed for the same key and body. */
export interface Remembered {
  executionId: string;
  answer: unknown;
}

const keyPattern = /^[\x21-\x7e]{1,255}$/;

/**
 * `Idempotency-Key` of `POST /execute`: per user, for `ttlSeconds`. The first request with a
 * key claims it (SET NX) and records its answer; a retry with the same key and the same body
 * gets that answer again (no second execution, no second quota unit); the same key with
 * another body is a 422; a retry while the first is still being submitted is a 409. A
 * submission that fails releases its key, so it may be retried.
 */
export function createIdempotency(redis: Redis, opts: { prefix: string; ttlSeconds: number }) {
  const slot = (userId: string, key: string) =>
    `${opts.prefix}idem:${userId}:${createHash('sha256').update(key).digest('hex')}`;
  return {
    async run<T extends Remembered>(
      userId: string,
      key: string,
      body: unknown,
      submit: () => Promise<T>,
    ): Promise<{ replayed: false; value: T } | { replayed: true; value: Remembered }> {
      if (!keyPattern.test(key)) {
        throw errors.validation('Idempotency-Key must be 1 to 255 visible ASCII characters.', {
          field: 'Idempotency-Key',
        });
      }
      const k = slot(userId, key);
      const hash = createHash('sha256').update(JSON.stringify(body)).digest('hex');
      const claimed = await redis.set(k, JSON.stringify({ hash }), 'EX', opts.ttlSeconds, 'NX');
      if (claimed !== 'OK') {
        const raw = await redis.get(k);
        const seen = raw ? (JSON.parse(raw) as { hash: string; done?: Remembered }) : null;
        if (seen && seen.hash !== hash) {
          throw errors.unprocessable(
            'idempotency_key_reused',
            'This Idempotency-Key was used with another request body.',
            { field: 'Idempotency-Key' },
          );
        }
        if (seen?.done) return { replayed: true, value: seen.done };
        throw errors.inProgress(
          'idempotency_in_progress',
          'A request with this Idempotency-Key is still being processed; retry shortly.',
          1,
        );
      }
      let value: T;
      try {
        value = await submit();
      } catch (err) {
        await redis.del(k).catch(() => undefined);
        throw err;
      }
      const done: Remembered = { executionId: value.executionId, answer: value.answer };
      await redis.set(k, JSON.stringify({ hash, done }), 'EX', opts.ttlSeconds).catch(() => undefined);
      return { replayed: false, value };
    },
  };
}

export type Idempotency = ReturnType<typeof createIdempotency>;
