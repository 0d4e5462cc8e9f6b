import type { Redis } from 'ioredis';
import { consumerGroup, redisKeys, type Job, type Logger } from '@muscode/common';
import { planDelivery, settlementOf } from './attempts.js';
import { createFinisher, type FinisherOptions } from './finish.js';
import { createLeases, freeSlots } from './leases.js';
import { streamScripts } from './scripts.js';
import { createJobSource, type Delivery, type DeliverySource } from './take.js';

export interface ConsumerHooks {
  /** A delivery was taken: fresh (`read`), reclaimed from an idle owner, or this agent's own after a restart. */
  taken?(source: DeliverySource, count: number): void;
  /** A job was moved to the dead-letter stream. */
  deadLettered?(reason: 'attempts' | 'malformed'): void;
}

/** `handle` and `abandon` (finish.ts) run each delivery; its entry leaves the stream after. */
export interface ConsumerOptions extends Pick<
  FinisherOptions,
  'consumerName' | 'deadLetterMaxLen' | 'handle' | 'abandon'
> {
  redis: Redis;
  prefix: string;
  region: string;
  capacity: number;
  blockMs: number;
  /** An entry idle (not renewed by its owner) this long is reclaimed. */
  reclaimIdleMs: number;
  /** How often leases are renewed and idle entries looked for. */
  reclaimIntervalMs: number;
  /** Attempts per job; past this the execution ends as internal_error and the job is dead-lettered. */
  maxAttempts: number;
  log: Logger;
  hooks?: ConsumerHooks;
  /**
   * Whether the agent can run jobs now (its container runtime answers). While false it reads
   * and reclaims nothing: jobs stay queued for it or for another agent.
   */
  canTake?: () => boolean;
  /**
   * How long one attempt of a job may take, all its limits and grace included. Its lease is
   * renewed only that long: an attempt stuck past it (a hung Docker or control-plane call)
   * stops holding the job, which another agent reclaims `reclaimIdleMs` later.
   */
  budgetMs?: (job: Job) => number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The loop's next step: wait for a slot (or the next lease round), or read new jobs. */
export type LoopStep = { action: 'wait'; ms: number } | { action: 'read'; count: number; blockMs: number };

/** A blocking read never outlasts the next lease round, so leases are renewed on time. */
export function nextStep(s: { free: number; now: number; nextRound: number; blockMs: number }): LoopStep {
  const untilRound = Math.max(1, s.nextRound - s.now);
  if (s.free <= 0) return { action: 'wait', ms: untilRound };
  return { action: 'read', count: s.free, blockMs: Math.min(s.blockMs, untilRound) };
}

/**
 * Reads `jobs:<region>` through the `runners` consumer group with at-least-once delivery:
 * - never holds more jobs than free slots;
 * - an entry is acknowledged (and deleted) only after its result reached the control-plane,
 *   and only if it is still pending to this agent;
 * - running entries' leases are renewed; entries idle longer than `reclaimIdleMs` (their agent
 *   died or is cut off) are reclaimed with XAUTOCLAIM, each reclaim being a new attempt;
 * - on start, the agent re-runs entries still pending to it from before a restart;
 * - past `maxAttempts` a job ends as internal_error and goes to `jobs:<region>:dead`.
 * Its phases: taking deliveries (take.ts), the leases of running attempts (leases.ts), and
 * finishing each one (finish.ts, with the decisions of attempts.ts); this file is the loop.
 */
export function createJobConsumer(opts: ConsumerOptions) {
  const keys = redisKeys(opts.prefix);
  const stream = keys.jobs(opts.region);
  const scripts = streamScripts(opts.redis);
  // The blocking read holds its connection; everything else uses the shared one.
  const reader = opts.redis.duplicate();
  reader.on('error', (err: Error) => opts.log.warn({ err: err.message }, 'redis reader error'));
  const source = createJobSource({ redis: opts.redis, reader, stream, consumerName: opts.consumerName });
  const leases = createLeases({
    reclaimIdleMs: opts.reclaimIdleMs,
    renew: (ids) => scripts.renewLeases(stream, consumerGroup, opts.consumerName, ids),
    log: opts.log,
  });
  const finisher = createFinisher({
    scripts,
    stream,
    dead: keys.deadJobs(opts.region),
    consumerName: opts.consumerName,
    deadLetterMaxLen: opts.deadLetterMaxLen,
    handle: opts.handle,
    abandon: opts.abandon,
    deadLettered: (reason) => opts.hooks?.deadLettered?.(reason),
  });
  const canTake = opts.canTake ?? (() => true);
  const free = () => freeSlots(opts.capacity, leases.size(), canTake());
  let stopping = false;
  let ready = false;
  let wake: (() => void) | undefined;

  function dispatch({ entry, deliveries }: Delivery): void {
    const { id } = entry;
    if (leases.has(id)) return;
    const plan = planDelivery(entry, deliveries, opts.maxAttempts);
    if (plan.action === 'malformed') {
      opts.log.error({ messageId: id, err: plan.error }, 'malformed job dead-lettered');
      void finisher.settle(id, plan.raw, settlementOf(plan, deliveries)).catch(() => undefined);
      return;
    }
    const log = opts.log.child({ executionId: plan.job.executionId, messageId: id });
    const task: Promise<void> = finisher
      .finish(id, plan, deliveries, log)
      .catch((err: unknown) =>
        log.error({ err, attempt: plan.attempt }, 'job failed; left pending for a later attempt'),
      )
      .finally(() => {
        leases.settle(id, task);
        wake?.();
      });
    leases.add(id, task, Date.now() + (opts.budgetMs?.(plan.job) ?? Number.POSITIVE_INFINITY));
  }

  function take(from: DeliverySource, deliveries: Delivery[]): void {
    if (deliveries.length === 0) return;
    opts.hooks?.taken?.(from, deliveries.length);
    for (const d of deliveries) {
      if (from !== 'read')
        opts.log.info({ messageId: d.entry.id, deliveries: d.deliveries, source: from }, 'job claimed');
      dispatch(d);
    }
  }

  /** Renews the running attempts' leases, then reclaims idle entries into the free slots. */
  async function leaseRound(): Promise<void> {
    await leases.renew();
    const slots = free();
    if (slots === 0) return;
    take('reclaim', await source.reclaimIdle(opts.reclaimIdleMs, slots));
  }

  async function loop(): Promise<void> {
    let nextRound = 0;
    while (!stopping) {
      try {
        if (!ready && canTake()) {
          await source.ensureGroup();
          take('own', await source.claimOwn(opts.capacity));
          ready = true;
        }
        if (Date.now() >= nextRound) {
          nextRound = Date.now() + opts.reclaimIntervalMs;
          await leaseRound();
        }
        const step = nextStep({ free: free(), now: Date.now(), nextRound, blockMs: opts.blockMs });
        if (step.action === 'wait') {
          // Full, or the runtime is down: wait for a slot (or `resume`), renewing leases meanwhile.
          await new Promise<void>((resolve) => {
            wake = resolve;
            setTimeout(resolve, step.ms);
          });
          wake = undefined;
          continue;
        }
        // Entries read while stopping are still run: they are pending to this agent already.
        take('read', await source.read(step.count, step.blockMs));
      } catch (err) {
        if (stopping) break;
        const message = (err as Error).message;
        opts.log.warn({ err: message }, 'job stream unavailable; retrying');
        // After a Redis data loss the group is gone: recreate it.
        if (message.includes('NOGROUP')) ready = false;
        await sleep(500);
      }
    }
  }

  let loopDone: Promise<void> | undefined;
  return {
    start(): void {
      loopDone = loop();
    },
    running: () => leases.size(),
    /**
     * The runtime is back: take jobs again, first re-running those still pending to this agent
     * (attempts that could not get a sandbox while it was down were left pending, not failed).
     */
    resume(): void {
      ready = false;
      wake?.();
    },
    /**
     * Stops taking jobs, then waits up to `drainMs` for the running ones. Returns how many
     * were still running at the deadline (they stay pending and will be reclaimed).
     */
    async stop(drainMs = Number.POSITIVE_INFINITY): Promise<number> {
      stopping = true;
      wake?.();
      // The blocking read ends within blockMs; what it returns is run, not lost.
      await loopDone?.catch(() => undefined);
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'timeout'>((resolve) => {
        if (Number.isFinite(drainMs)) timer = setTimeout(() => resolve('timeout'), drainMs);
      });
      // Leases are renewed while draining, so peers do not reclaim jobs that are finishing.
      const renew = setInterval(() => {
        void leases.renew().catch(() => undefined);
      }, opts.reclaimIntervalMs);
      const outcome = await Promise.race([Promise.allSettled(leases.tasks()), deadline]);
      clearTimeout(timer);
      clearInterval(renew);
      reader.disconnect();
      return outcome === 'timeout' ? leases.size() : 0;
    },
  };
}
