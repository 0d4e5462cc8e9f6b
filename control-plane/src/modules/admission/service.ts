import type { Redis } from 'ioredis';
import { redisKeys } from '@muscode/common';
import { errors } from '../../errors.js';
import type { AdmissionRepo } from './repo.js';

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
 *   `maxActivePerUser` jobs of each other active user;
 * - a per-region bound on the job stream's length (entries are deleted once done, so its length
 *   is what is waiting or running): past it, 429 with Retry-After instead of waiting forever.
 */
export function createAdmission(redis: Redis, repo: AdmissionRepo, opts: AdmissionOptions) {
  const keys = redisKeys(opts.prefix);
  return {
    async admit(userId: string, region: string): Promise<void> {
      const queuedNow = redis.xlen(keys.jobs(region)).catch((err: unknown) => {
        throw errors.unavailable(
          'The job queue is unavailable; try again shortly.',
          opts.retryAfterSeconds,
          err,
        );
      });
      const [active, queued] = await Promise.all([repo.activeCount(userId), queuedNow]);
      if (active >= opts.maxActivePerUser) {
        throw errors.busy(
          'too_many_active_executions',
          `You have ${active} executions queued or running; wait for one to finish.`,
          opts.retryAfterSeconds,
          { limit: opts.maxActivePerUser },
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
