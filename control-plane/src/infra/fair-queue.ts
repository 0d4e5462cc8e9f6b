import type { Redis } from 'ioredis';
import { redisKeys, redisScript, type Job } from '@muscode/common';

type WithFairScripts = Redis & {
  muscodeFairDispatch(
    stream: string,
    waiting: string,
    users: string,
    slots: string,
    listPrefix: string,
    now: number,
    mode: string,
    executionId: string,
    owner: string,
    job: string,
  ): Promise<number>;
  muscodeQueuePosition(
    waiting: string,
    users: string,
    stream: string,
    slots: string,
    listPrefix: string,
    owner: string,
    executionId: string,
    now: number,
  ): Promise<number>;
  muscodeUnqueue(
    waiting: string,
    users: string,
    listPrefix: string,
    owner: string,
    executionId: string,
  ): Promise<number>;
};

/**
 * The fair queue in front of each region's job stream: jobs wait here per user and enter the
 * stream only as runner slots free up, round-robin across users, each user under a share of
 * the region's capacity (see common/src/redis-scripts/fair-dispatch.lua).
 */
export function createFairQueue(redis: Redis, opts: { prefix: string }) {
  const keys = redisKeys(opts.prefix);
  redis.defineCommand('muscodeFairDispatch', redisScript('fair-dispatch'));
  redis.defineCommand('muscodeQueuePosition', redisScript('queue-position'));
  redis.defineCommand('muscodeUnqueue', redisScript('unqueue'));
  const r = redis as WithFairScripts;

  const run = (region: string, mode: '' | 'enqueue', job?: Job) =>
    r.muscodeFairDispatch(
      keys.jobs(region),
      keys.waiting(region),
      keys.waitingUsers(region),
      keys.slots(region),
      keys.waitingListPrefix(region),
      Date.now(),
      mode,
      job?.executionId ?? '',
      job?.ownerId ?? '',
      job ? JSON.stringify(job) : '',
    );

  return {
    /** Queues a job behind its owner's earlier ones and dispatches what fits now. */
    async enqueue(region: string, job: Job): Promise<void> {
      await redis.sadd(keys.queueRegions(), region);
      await run(region, 'enqueue', job);
    },
    /** Moves what the free slots allow into the region's job stream; returns how many. */
    async dispatch(region: string): Promise<number> {
      return Number(await run(region, ''));
    },
    /** Dispatches every region that ever had a job queued. */
    async dispatchAll(): Promise<number> {
      const regions = await redis.smembers(keys.queueRegions());
      let moved = 0;
      for (const region of regions) moved += Number(await run(region, ''));
      return moved;
    },
    /** 1-based place among the region's waiting jobs, or 0 when it is not waiting. */
    async position(region: string, owner: string, executionId: string): Promise<number> {
      return Number(
        await r.muscodeQueuePosition(
          keys.waiting(region),
          keys.waitingUsers(region),
          keys.jobs(region),
          keys.slots(region),
          keys.waitingListPrefix(region),
          owner,
          executionId,
          Date.now(),
        ),
      );
    },
    /** Takes a waiting job out (its execution was cancelled); true if it was waiting. */
    async unqueue(region: string, owner: string, executionId: string): Promise<boolean> {
      const removed = await r.muscodeUnqueue(
        keys.waiting(region),
        keys.waitingUsers(region),
        keys.waitingListPrefix(region),
        owner,
        executionId,
      );
      return Number(removed) === 1;
    },
    /** Execution ids waiting in a region (for the sweeper: they are queued, not lost). */
    async waitingIds(region: string): Promise<string[]> {
      return redis.hkeys(keys.waiting(region));
    },
    /** Jobs waiting in a region. */
    waitingCount: (region: string) => redis.hlen(keys.waiting(region)),
  };
}

export type FairQueue = ReturnType<typeof createFairQueue>;
