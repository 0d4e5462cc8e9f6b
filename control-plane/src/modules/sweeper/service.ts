import type { Redis } from 'ioredis';
import { redisKeys, redisScript, type Job, type Logger, type RedisScriptName } from '@muscode/common';
import type { Streams } from '../../infra/streams.js';
import type { SweeperRepo, StuckRow } from './repo.js';

export interface SweeperOptions {
  prefix: string;
  /** This instance's id in the leader lock. */
  instanceId: string;
  intervalMs: number;
  /** Executions younger than this are never touched (their job may be being queued right now). */
  graceMs: number;
  /** Queued or running longer than this ends as internal_error whatever the queue says. */
  maxAgeMs: number;
  /** Attempts per execution, as on the agents: a lost job is re-queued while attempts remain. */
  maxAttempts: number;
  batchSize: number;
}

export interface SweepReport {
  checked: number;
  requeued: number;
  failed: number;
}

/**
 * Finds executions whose job vanished from Redis (data loss, a flushed stream: not in the
 * job stream, so neither waiting nor pending) and re-queues them from the source kept in the
 * database, or fails them clearly once their attempts are spent. Executions queued or running
 * past `maxAgeMs` are failed too, so none stays queued or running forever. One control-plane
 * instance sweeps at a time (a Redis lock with a TTL, renewed while it lives).
 */
export function createSweeper(deps: {
  redis: Redis;
  repo: SweeperRepo;
  streams: Streams;
  log: Logger;
  onSwept?: (report: SweepReport) => void;
  opts: SweeperOptions;
}) {
  const { redis, repo, opts } = deps;
  const keys = redisKeys(opts.prefix);
  const log = deps.log.child({ component: 'sweeper' });
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  // Run once per sweep at most: EVAL, not a defined command.
  const run = (name: RedisScriptName, ...args: (string | number)[]) => {
    const s = redisScript(name);
    return redis.eval(s.lua, s.numberOfKeys, ...args);
  };

  async function lead(): Promise<boolean> {
    const ttl = opts.intervalMs * 3;
    const got = await redis.set(keys.sweeperLock(), opts.instanceId, 'PX', ttl, 'NX');
    if (got === 'OK') return true;
    return Number(await run('extend-lock', keys.sweeperLock(), opts.instanceId, ttl)) === 1;
  }

  /**
   * Execution ids with a job in a region's fair queue or job stream (waiting or pending). A
   * script pages through the stream in Redis and answers ids only: a long queue of large jobs
   * costs Redis a scan, not gigabytes over the network into this process.
   */
  async function queuedIds(region: string): Promise<Set<string>> {
    // Jobs still waiting in the fair queue are queued too.
    const ids = new Set<string>(await redis.hkeys(keys.waiting(region)));
    let start = '-';
    for (;;) {
      const [last, read, page] = (await run('job-ids', keys.jobs(region), start, 1000)) as [
        string,
        number,
        string[],
      ];
      for (const id of page) ids.add(id);
      if (read < 1000 || !last) return ids;
      start = `(${last}`;
    }
  }

  function jobOf(row: StuckRow, attemptBase: number): Job {
    return {
      executionId: row.id,
      ownerId: row.user_id,
      language: row.language,
      ...(row.sandbox_image ? { image: row.sandbox_image } : {}),
      ...(row.language_version ? { version: row.language_version } : {}),
      files: row.source,
      mainFile: row.main_file,
      stdin: (row.stdin ?? Buffer.alloc(0)).toString('base64'),
      interactive: false,
      limits: row.limits,
      ...(row.grading ? { grading: row.grading } : {}),
      enqueuedAt: Date.now(),
      attemptBase,
    };
  }

  /**
   * Fails an execution and appends its result event, so `?wait=true` callers, WebSocket and
   * gRPC followers learn of the final status at once instead of at their own timeouts.
   */
  async function failWithResult(row: StuckRow, message: string): Promise<boolean> {
    if (!(await repo.fail(row.id, row.attempt, message))) return false;
    await deps.streams.appendEvent(row.id, { type: 'result', seq: 0, status: 'internal_error' });
    return true;
  }

  async function handle(row: StuckRow, inQueue: boolean, report: SweepReport): Promise<void> {
    const rlog = log.child({ executionId: row.id, region: row.region, attempt: row.attempt });
    if (row.age_ms > opts.maxAgeMs) {
      const message = `The execution did not finish within ${Math.round(opts.maxAgeMs / 1000)} seconds of being submitted and was stopped.`;
      if (await failWithResult(row, message)) {
        report.failed += 1;
        rlog.warn({ ageMs: Math.round(row.age_ms) }, 'execution too old; failed');
      }
      return;
    }
    if (inQueue) return;
    // The lost delivery may have been attempt row.attempt + 1 already: start after it.
    const base = row.attempt + 1;
    if (base >= opts.maxAttempts) {
      const message = `The execution's job was lost by the queue after ${base} attempts; it was not run to completion.`;
      if (await failWithResult(row, message)) {
        report.failed += 1;
        rlog.warn('lost job out of attempts; failed');
      }
      return;
    }
    if (await repo.requeue(row.id, row.attempt, base)) {
      await deps.streams.enqueueJob(row.region, jobOf(row, base));
      report.requeued += 1;
      rlog.warn({ attemptBase: base }, 'job vanished from the queue; re-queued');
    }
  }

  async function sweep(): Promise<SweepReport> {
    const report: SweepReport = { checked: 0, requeued: 0, failed: 0 };
    const rows = await repo.findStuck(opts.graceMs, opts.batchSize);
    report.checked = rows.length;
    const byRegion = new Map<string, Set<string>>();
    for (const row of rows) {
      let present = byRegion.get(row.region);
      if (!present) {
        present = await queuedIds(row.region);
        byRegion.set(row.region, present);
      }
      await handle(row, present.has(row.id), report);
    }
    if (report.requeued + report.failed > 0) log.info(report, 'sweep done');
    deps.onSwept?.(report);
    return report;
  }

  async function tick(): Promise<void> {
    try {
      if (await lead()) await sweep();
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'sweep failed; retrying next round');
    }
  }

  return {
    start(): void {
      const loop = () => {
        if (stopped) return;
        timer = setTimeout(() => void tick().finally(loop), opts.intervalMs);
      };
      loop();
    },
    /** One sweep now, if this instance is (or becomes) the leader. */
    tick,
    sweep,
    async stop(): Promise<void> {
      stopped = true;
      clearTimeout(timer);
      // Hand the lock over at once rather than after its TTL.
      await run('release-lock', keys.sweeperLock(), opts.instanceId).catch(() => undefined);
    },
  };
}

export type Sweeper = ReturnType<typeof createSweeper>;
