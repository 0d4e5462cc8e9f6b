import type { Redis } from 'ioredis';
import { redisKeys, type Logger } from '@muscode/common';

export interface HostReaperOptions {
  redis: Redis;
  prefix: string;
  /** Identifies the Docker Engine this agent shares with others (one per host). */
  hostId: string;
  runnerId: string;
  /** Lease lifetime; renewed every `intervalMs`, so a few missed renewals mean the agent is dead. */
  leaseMs: number;
  intervalMs: number;
  /** Removes every sandbox labelled with this runner id; returns how many. */
  reap: (runnerId: string) => Promise<number>;
  log: Logger;
}

/**
 * Cleans up sandboxes of dead agents on this host. Each agent holds a lease key in Redis and is
 * listed in its host's set; an agent listed there whose lease has expired died without cleaning
 * up, so its containers (found by their runner label) are removed by any live agent of the host.
 * Host-scoped on purpose: agents of other hosts may share a Docker Engine in tests but never
 * touch each other's containers, and a control-plane outage never looks like a dead agent.
 */
export function createHostReaper(opts: HostReaperOptions) {
  const keys = redisKeys(opts.prefix);
  const set = keys.hostAgents(opts.hostId);
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  async function renew(): Promise<void> {
    await opts.redis
      .multi()
      .set(keys.hostLease(opts.hostId, opts.runnerId), String(Date.now()), 'PX', opts.leaseMs)
      .sadd(set, opts.runnerId)
      .exec();
  }

  async function sweep(): Promise<number> {
    await renew();
    const members = await opts.redis.smembers(set);
    let removed = 0;
    for (const id of members) {
      if (id === opts.runnerId) continue;
      if ((await opts.redis.exists(keys.hostLease(opts.hostId, id))) === 1) continue;
      const n = await opts.reap(id);
      // Only forget the agent once its containers are gone, so a failed removal is retried.
      await opts.redis.srem(set, id);
      if (n > 0)
        opts.log.info({ deadRunnerId: id, reaped: n }, 'removed sandboxes of a dead agent on this host');
      removed += n;
    }
    return removed;
  }

  return {
    /** Takes the lease, then sweeps now and every interval. */
    async start(): Promise<void> {
      await renew();
      await sweep().catch((err: unknown) =>
        opts.log.warn({ err: (err as Error).message }, 'host sweep failed'),
      );
      const tick = () => {
        if (stopped) return;
        timer = setTimeout(() => {
          sweep()
            .catch((err: unknown) => opts.log.warn({ err: (err as Error).message }, 'host sweep failed'))
            .finally(tick);
        }, opts.intervalMs);
      };
      tick();
    },
    sweep,
    /** Stops renewing and gives up the lease (a clean exit leaves nothing to reap). */
    async stop(): Promise<void> {
      stopped = true;
      clearTimeout(timer);
      await opts.redis
        .multi()
        .del(keys.hostLease(opts.hostId, opts.runnerId))
        .srem(set, opts.runnerId)
        .exec()
        .catch(() => undefined);
    },
  };
}
