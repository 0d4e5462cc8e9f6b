import type { Redis } from 'ioredis';
import {
  consumerGroup,
  jobField,
  jobSchema,
  parseEntries,
  parseReadReply,
  redisKeys,
  scriptCodes,
  type Job,
  type Logger,
  type StreamEntry,
} from '@muscode/common';
import { decideDelivery } from './attempts.js';
import { streamScripts } from './scripts.js';

export interface ConsumerHooks {
  /** A delivery was taken: fresh (`read`), reclaimed from an idle owner, or this agent's own after a restart. */
  taken?(source: 'read' | 'reclaim' | 'own', count: number): void;
  /** A job was moved to the dead-letter stream. */
  deadLettered?(reason: 'attempts' | 'malformed'): void;
}

export interface ConsumerOptions {
  redis: Redis;
  prefix: string;
  region: string;
  consumerName: string;
  capacity: number;
  blockMs: number;
  /** An entry idle (not renewed by its owner) this long is reclaimed. */
  reclaimIdleMs: number;
  /** How often leases are renewed and idle entries looked for. */
  reclaimIntervalMs: number;
  /** Attempts per job; past this the execution ends as internal_error and the job is dead-lettered. */
  maxAttempts: number;
  deadLetterMaxLen: number;
  log: Logger;
  /** Runs one attempt; the entry is acknowledged once this resolves (the result reached the control-plane). */
  handle: (job: Job, attempt: number) => Promise<void>;
  /** Records an abandoned execution's final result (internal_error, `message`); must reach the control-plane. */
  abandon: (job: Job, attempt: number, message: string) => Promise<void>;
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

/**
 * Reads `jobs:<region>` through the `runners` consumer group with at-least-once delivery:
 * - never holds more jobs than free slots;
 * - an entry is acknowledged (and deleted) only after its result reached the control-plane,
 *   and only if it is still pending to this agent;
 * - running entries' leases are renewed; entries idle longer than `reclaimIdleMs` (their agent
 *   died or is cut off) are reclaimed with XAUTOCLAIM, each reclaim being a new attempt;
 * - on start, the agent re-runs entries still pending to it from before a restart;
 * - past `maxAttempts` a job ends as internal_error and goes to `jobs:<region>:dead`.
 */
export function createJobConsumer(opts: ConsumerOptions) {
  const keys = redisKeys(opts.prefix);
  const stream = keys.jobs(opts.region);
  const dead = keys.deadJobs(opts.region);
  const scripts = streamScripts(opts.redis);
  // The blocking read holds its connection; everything else uses the shared one.
  const reader = opts.redis.duplicate();
  reader.on('error', (err: Error) => opts.log.warn({ err: err.message }, 'redis reader error'));
  const running = new Map<string, Promise<void>>();
  /** When each running attempt's budget ends (its lease is not renewed past it). */
  const deadlines = new Map<string, number>();
  const canTake = opts.canTake ?? (() => true);
  let stopping = false;
  let ready = false;
  let wake: (() => void) | undefined;

  async function ensureGroup(): Promise<void> {
    try {
      // From "0": jobs queued before any agent existed are still read.
      await opts.redis.xgroup('CREATE', stream, consumerGroup, '0', 'MKSTREAM');
    } catch (err) {
      if (!(err as Error).message.includes('BUSYGROUP')) throw err;
    }
  }

  async function deadLetter(id: string, raw: string, reason: 'attempts' | 'malformed', attempts: number) {
    const moved = await scripts.deadLetter(stream, dead, {
      group: consumerGroup,
      consumer: opts.consumerName,
      id,
      reason,
      attempts,
      job: raw,
      maxLen: opts.deadLetterMaxLen,
    });
    if (moved === scriptCodes.ownedEntry.done) opts.hooks?.deadLettered?.(reason);
    return moved;
  }

  function dispatch({ id, fields }: StreamEntry, deliveries: number): void {
    if (running.has(id)) return;
    const raw = fields[fields.indexOf(jobField) + 1] ?? '';
    let job: Job;
    try {
      job = jobSchema.parse(JSON.parse(raw));
    } catch (err) {
      opts.log.error({ messageId: id, err: (err as Error).message }, 'malformed job dead-lettered');
      void deadLetter(id, raw, 'malformed', deliveries).catch(() => undefined);
      return;
    }
    const log = opts.log.child({ executionId: job.executionId, messageId: id });
    const decision = decideDelivery(job.attemptBase ?? 0, deliveries, opts.maxAttempts);
    const work =
      decision.action === 'run'
        ? opts.handle(job, decision.attempt).then(async () => {
            const acked = await scripts.ackIfOwner(stream, consumerGroup, opts.consumerName, id);
            if (acked === scriptCodes.ownedEntry.otherConsumer)
              log.info({ attempt: decision.attempt }, 'job was reclaimed meanwhile; left to its new owner');
          })
        : opts.abandon(job, decision.attempt, decision.message).then(async () => {
            log.warn({ attempt: decision.attempt }, 'job abandoned after too many attempts; dead-lettered');
            await deadLetter(id, raw, 'attempts', decision.attempt - 1);
          });
    const task: Promise<void> = work
      .catch((err: unknown) =>
        log.error({ err, attempt: decision.attempt }, 'job failed; left pending for a later attempt'),
      )
      .finally(() => {
        if (running.get(id) === task) {
          running.delete(id);
          deadlines.delete(id);
        }
        wake?.();
      });
    running.set(id, task);
    deadlines.set(id, Date.now() + (opts.budgetMs?.(job) ?? Number.POSITIVE_INFINITY));
  }

  /** Running entries whose lease may still be renewed; frees the slots of long-stuck ones. */
  function renewable(now = Date.now()): string[] {
    const ids: string[] = [];
    for (const id of running.keys()) {
      const deadline = deadlines.get(id) ?? Number.POSITIVE_INFINITY;
      if (now < deadline) {
        ids.push(id);
      } else if (now >= deadline + opts.reclaimIdleMs) {
        // Reclaimable by now: another agent runs it; this attempt gives its slot back.
        opts.log.error(
          { messageId: id },
          'attempt stuck past its budget; slot freed, job left to be reclaimed',
        );
        running.delete(id);
        deadlines.delete(id);
      }
    }
    return ids;
  }

  /** Delivery counts of entries, from the pending list. */
  async function deliveriesOf(ids: string[]): Promise<Map<string, number>> {
    const pipe = opts.redis.pipeline();
    for (const id of ids) pipe.xpending(stream, consumerGroup, id, id, 1);
    const replies = (await pipe.exec()) ?? [];
    const out = new Map<string, number>();
    replies.forEach(([err, reply], i) => {
      const row = (reply as [string, string, number, number][] | null)?.[0];
      if (!err && row) out.set(ids[i] ?? '', Number(row[3]));
    });
    return out;
  }

  /** Runs claimed entries (parseEntries has left out those deleted while pending). */
  async function dispatchClaimed(live: StreamEntry[], source: 'reclaim' | 'own'): Promise<void> {
    if (live.length === 0) return;
    const counts = await deliveriesOf(live.map((e) => e.id));
    opts.hooks?.taken?.(source, live.length);
    for (const entry of live) {
      opts.log.info({ messageId: entry.id, deliveries: counts.get(entry.id), source }, 'job claimed');
      dispatch(entry, counts.get(entry.id) ?? 1);
    }
  }

  /** Entries left pending to this agent id by an earlier run of it: run them again now. */
  async function claimOwn(): Promise<void> {
    const pending = (await opts.redis.xpending(
      stream,
      consumerGroup,
      '-',
      '+',
      opts.capacity,
      opts.consumerName,
    )) as [string, string, number, number][];
    const ids = pending.map((p) => p[0]);
    if (ids.length === 0) return;
    const entries = parseEntries(
      await opts.redis.xclaim(stream, consumerGroup, opts.consumerName, 0, ...ids),
    );
    await dispatchClaimed(entries, 'own');
  }

  async function renewAndReclaim(): Promise<void> {
    await scripts.renewLeases(stream, consumerGroup, opts.consumerName, renewable());
    const free = opts.capacity - running.size;
    if (free <= 0 || !canTake()) return;
    const reply = (await opts.redis.xautoclaim(
      stream,
      consumerGroup,
      opts.consumerName,
      opts.reclaimIdleMs,
      '0-0',
      'COUNT',
      free,
    )) as [string, unknown, string[]?];
    await dispatchClaimed(parseEntries(reply[1]), 'reclaim');
  }

  async function readNew(free: number, blockMs: number): Promise<void> {
    const reply = await reader.xreadgroup(
      'GROUP',
      consumerGroup,
      opts.consumerName,
      'COUNT',
      free,
      'BLOCK',
      blockMs,
      'STREAMS',
      stream,
      '>',
    );
    const entries = parseReadReply(reply).flatMap((b) => b.entries);
    if (entries.length > 0) opts.hooks?.taken?.('read', entries.length);
    // Entries read while stopping are still run: they are pending to this agent already.
    for (const entry of entries) dispatch(entry, 1);
  }

  async function loop(): Promise<void> {
    let nextReclaim = 0;
    while (!stopping) {
      try {
        if (!ready && canTake()) {
          await ensureGroup();
          await claimOwn();
          ready = true;
        }
        if (Date.now() >= nextReclaim) {
          nextReclaim = Date.now() + opts.reclaimIntervalMs;
          await renewAndReclaim();
        }
        const free = opts.capacity - running.size;
        const untilReclaim = Math.max(1, nextReclaim - Date.now());
        if (free <= 0 || !canTake()) {
          // Full, or the runtime is down: wait for a slot (or `resume`), renewing leases meanwhile.
          await new Promise<void>((resolve) => {
            wake = resolve;
            setTimeout(resolve, untilReclaim);
          });
          wake = undefined;
          continue;
        }
        await readNew(free, Math.min(opts.blockMs, untilReclaim));
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
    running: () => running.size,
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
        void scripts
          .renewLeases(stream, consumerGroup, opts.consumerName, renewable())
          .catch(() => undefined);
      }, opts.reclaimIntervalMs);
      const outcome = await Promise.race([Promise.allSettled([...running.values()]), deadline]);
      clearTimeout(timer);
      clearInterval(renew);
      reader.disconnect();
      return outcome === 'timeout' ? running.size : 0;
    },
  };
}
