import type { Redis } from 'ioredis';
import { consumerGroup, jobField, redisKeys } from '@muscode/common';

/**
 * Whether a runner's report of an attempt is backed by the job queue: the job's entry must be
 * pending to that runner with a delivery count that gives that attempt (attempt = the job's
 * attemptBase + deliveries, as the agent computes it). Without the check any holder of the
 * runner token could report a made-up high attempt and fence the real one out.
 *
 * - `owner`: the entry is pending to this runner and the attempt is its current one;
 * - `stale`: the entry is another runner's, not delivered yet, or at another attempt (a
 *   reclaimed job's old owner, or a forged attempt): its events are ignored;
 * - `settled`: no entry (its result is in and it was acknowledged, or Redis lost it): trusted
 *   only for an attempt not above the one already recorded, so it cannot advance the fence.
 */
export type AttemptCheck = 'owner' | 'stale' | 'settled';

export function createAttemptCheck(redis: Redis, opts: { prefix: string }) {
  const keys = redisKeys(opts.prefix);

  /** The entry of the execution's job in a region's stream (small: it holds running jobs only). */
  async function findEntry(region: string, executionId: string) {
    let start = '-';
    for (;;) {
      const page = await redis.xrange(keys.jobs(region), start, '+', 'COUNT', 500);
      for (const [id, fields] of page) {
        const field = (name: string) => {
          const i = fields.indexOf(name);
          return i >= 0 && i % 2 === 0 ? fields[i + 1] : undefined;
        };
        // Entries from before the fair queue (or written by hand) have no `exec` field.
        const exec = field('exec');
        const raw = field(jobField) ?? '';
        if (exec === executionId || (exec === undefined && raw.includes(executionId))) {
          try {
            const job = JSON.parse(raw) as { executionId?: string; attemptBase?: number };
            if (job.executionId === executionId) return { id, attemptBase: job.attemptBase ?? 0 };
          } catch {
            // Not a job: the agents dead-letter it.
          }
        }
      }
      const last = page.at(-1);
      if (page.length < 500 || !last) return undefined;
      start = `(${last[0]}`;
    }
  }

  return async function check(executionId: string, runnerId: string, attempt: number): Promise<AttemptCheck> {
    // The runner's region from its heartbeats; a new agent may report before its first beat is
    // in, so every region that has a queue is looked at then.
    const known = await redis.hget(keys.fleet(), runnerId);
    const regions = known
      ? [(JSON.parse(known) as { region?: string }).region ?? '']
      : await redis.smembers(keys.queueRegions());
    let region = '';
    let entry: Awaited<ReturnType<typeof findEntry>>;
    for (const r of regions) {
      entry = await findEntry(r, executionId);
      if (entry) {
        region = r;
        break;
      }
    }
    if (!entry) {
      const recorded = Number((await redis.hget(keys.report(executionId), 'attempt')) ?? 0);
      return attempt <= recorded ? 'settled' : 'stale';
    }
    const pending = (await redis.xpending(keys.jobs(region), consumerGroup, entry.id, entry.id, 1)) as [
      string,
      string,
      number,
      number,
    ][];
    const row = pending[0];
    if (!row || row[1] !== runnerId) return 'stale';
    return entry.attemptBase + Math.max(1, Number(row[3])) === attempt ? 'owner' : 'stale';
  };
}
