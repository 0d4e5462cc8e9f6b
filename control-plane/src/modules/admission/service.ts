import type { Redis } from 'ioredis';
import { redisKeys } from '@muscode/common';
import { errors } from '../../errors.js';

export interface AdmissionOptions {
  prefix: string;
  /** Executions one user may have queued or running at once. */
  maxActivePerUser: number;
  /** Jobs a region's stream may hold (waiting plus running); past it submissions get 429. */
  maxQueueLength: number;
  retryAfterSeconds: number;
}

/**
 * Decides whether a submission may enter the queue. Two bounds keep the fleet fair and the
 * queue finite:
 * - a per-user cap on queued + running executions, so one user flooding submissions holds at
 *   most that many places in the FIFO stream and everyone else's job waits behind at most
 *   `maxActivePerUser` jobs of each other active user. It is counted by the statement that
 *   takes the quota and inserts the execution (one round trip): see `tooManyActive`;
 * - a per-region bound on the jobs waiting in the fair queue plus those in the job stream
 *   (entries are deleted once done): past it, 429 with Retry-After instead of waiting forever.
 */
export function createAdmission(redis: Redis, opts: AdmissionOptions) {
  const keys = redisKeys(opts.prefix);
  return {
    maxActivePerUser: opts.maxActivePerUser,

    /** The 429 of a user who has `active` executions queued or running, at the cap. */
    tooManyActive(active: number): Error {
      return errors.busy(
        'too_many_active_executions',
        `You have ${active} executions queued or running; wait for one to finish.`,
        opts.retryAfterSeconds,
        { limit: opts.maxActivePerUser },
      );
    },

    /** Throws 429 `queue_full` when the region's job stream is at its bound. */
    async admit(region: string): Promise<void> {
      let queued: number;
      try {
        const [inStream, waiting] = await Promise.all([
          redis.xlen(keys.jobs(region)),
          redis.hlen(keys.waiting(region)),
        ]);
        queued = inStream + waiting;
      } catch (err) {
        throw errors.unavailable(
          'The job queue is unavailable; try again shortly.',
          opts.retryAfterSeconds,
          err,
        );
      }
      if (queued >= opts.maxQueueLength) {
        throw errors.busy(
          'queue_full',
          `The execution queue of region "${region}" is full; try again shortly.`,
          opts.retryAfterSeconds,
          { region },
        );
      }
    },
  };
}

export type Admission = ReturnType<typeof createAdmission>;
