import type { Redis } from 'ioredis';
import { consumerGroup, jobField, jobSchema, redisKeys, type Job, type Logger } from '@muscode/common';

export interface ConsumerOptions {
  redis: Redis;
  prefix: string;
  region: string;
  consumerName: string;
  capacity: number;
  blockMs: number;
  log: Logger;
  /** Runs a job; the message is acknowledged once this resolves. */
  handle: (job: Job, attempt: number) => Promise<void>;
}

/**
 * Reads `jobs:<region>` through the `runners` consumer group, never holding more jobs than
 * free slots. A job is XACKed only after its result has reached the control-plane, so a job
 * of an agent that dies stays pending for another agent to reclaim.
 */
export function createJobConsumer(opts: ConsumerOptions) {
  const key = redisKeys(opts.prefix).jobs(opts.region);
  // The blocking read holds its connection; acknowledgements use the shared one.
  const reader = opts.redis.duplicate();
  const running = new Set<Promise<void>>();
  let stopping = false;
  let slotFreed: (() => void) | undefined;

  async function ensureGroup(): Promise<void> {
    try {
      // From "0": jobs queued before any agent existed are still read.
      await opts.redis.xgroup('CREATE', key, consumerGroup, '0', 'MKSTREAM');
    } catch (err) {
      if (!(err as Error).message.includes('BUSYGROUP')) throw err;
    }
  }

  function dispatch(id: string, fields: string[]): void {
    const raw = fields[fields.indexOf(jobField) + 1];
    let job: Job;
    try {
      job = jobSchema.parse(JSON.parse(raw ?? ''));
    } catch (err) {
      opts.log.error({ messageId: id, err: (err as Error).message }, 'malformed job dropped');
      void opts.redis.xack(key, consumerGroup, id).catch(() => undefined);
      return;
    }
    const task = opts
      .handle(job, 1)
      .then(() => opts.redis.xack(key, consumerGroup, id))
      .then(
        () => undefined,
        (err: unknown) => opts.log.error({ err, executionId: job.executionId }, 'job failed; left pending'),
      )
      .finally(() => {
        running.delete(task);
        slotFreed?.();
      });
    running.add(task);
  }

  async function loop(): Promise<void> {
    await ensureGroup();
    while (!stopping) {
      const free = opts.capacity - running.size;
      if (free <= 0) {
        await new Promise<void>((resolve) => {
          slotFreed = resolve;
        });
        continue;
      }
      try {
        const reply = (await reader.xreadgroup(
          'GROUP',
          consumerGroup,
          opts.consumerName,
          'COUNT',
          free,
          'BLOCK',
          opts.blockMs,
          'STREAMS',
          key,
          '>',
        )) as [string, [string, string[]][]][] | null;
        for (const [, entries] of reply ?? []) {
          for (const [id, fields] of entries) dispatch(id, fields);
        }
      } catch (err) {
        if (stopping) break;
        const message = (err as Error).message;
        opts.log.warn({ err: message }, 'job read failed; retrying');
        if (message.includes('NOGROUP')) await ensureGroup().catch(() => undefined);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  let loopDone: Promise<void> | undefined;
  return {
    start(): void {
      loopDone = loop();
    },
    running: () => running.size,
    /** Stops taking jobs and waits for the running ones. */
    async stop(): Promise<void> {
      stopping = true;
      reader.disconnect();
      slotFreed?.();
      await loopDone?.catch(() => undefined);
      await Promise.allSettled([...running]);
    },
  };
}
