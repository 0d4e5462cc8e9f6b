import type { Redis } from 'ioredis';
import {
  controlField,
  eventField,
  jobField,
  redisKeys,
  type ControlMessage,
  type ExecutionEvent,
  type Job,
} from '@muscode/common';
import { appendEventScript } from './scripts/append-event.js';

export interface Streams {
  /** Queues a job for the agents of a region. */
  enqueueJob(region: string, job: Job): Promise<void>;
  /**
   * Appends an event to an execution's bounded, expiring stream. Its `seq` is replaced by the
   * execution's next contiguous seq (so events of every attempt and writer are numbered once).
   */
  appendEvent(executionId: string, event: ExecutionEvent): Promise<void>;
  /**
   * Records event `runnerSeq` of a runner's report of `attempt` and appends `event` (if any),
   * unless that report was already recorded or a later attempt has reported. Returns the
   * event's seq, or one of appendEventCodes.
   */
  appendReported(
    executionId: string,
    report: { attempt: number; runnerSeq: number },
    event: ExecutionEvent | null,
  ): Promise<number>;
  /** Sends stdin, stdin_close or cancel to the agent running an execution. */
  sendControl(executionId: string, message: ControlMessage): Promise<void>;
  /**
   * Reads events after `afterId` ("0" for all), blocking up to `blockMs` when none are there.
   * Needs a connection of its own while it blocks.
   */
  readEvents(
    conn: Redis,
    executionId: string,
    afterId: string,
    blockMs: number,
  ): Promise<{ id: string; event: ExecutionEvent }[]>;
}

export function createStreams(
  redis: Redis,
  opts: { prefix: string; eventsMaxLen: number; eventsTtlSeconds: number },
): Streams {
  const keys = redisKeys(opts.prefix);
  const append = async (
    executionId: string,
    event: ExecutionEvent | null,
    attempt: string,
    runnerSeq: number,
  ): Promise<number> => {
    // The script numbers the event; whatever seq the caller put there is dropped.
    const rest: Record<string, unknown> = { ...event };
    delete rest['seq'];
    const result = await redis.eval(
      appendEventScript,
      2,
      keys.events(executionId),
      keys.report(executionId),
      event ? JSON.stringify(rest) : '',
      opts.eventsMaxLen,
      opts.eventsTtlSeconds,
      attempt,
      runnerSeq,
    );
    return Number(result);
  };
  return {
    async enqueueJob(region, job) {
      await redis.xadd(keys.jobs(region), '*', jobField, JSON.stringify(job));
    },
    async appendEvent(executionId, event) {
      await append(executionId, event, '', 0);
    },
    async appendReported(executionId, report, event) {
      return append(executionId, event, String(report.attempt), report.runnerSeq);
    },
    async sendControl(executionId, message) {
      const key = keys.control(executionId);
      await redis
        .multi()
        .xadd(key, 'MAXLEN', '~', opts.eventsMaxLen, '*', controlField, JSON.stringify(message))
        .expire(key, opts.eventsTtlSeconds)
        .exec();
    },
    async readEvents(conn, executionId, afterId, blockMs) {
      const reply = await conn.xread(
        'COUNT',
        500,
        'BLOCK',
        blockMs,
        'STREAMS',
        keys.events(executionId),
        afterId,
      );
      if (!reply) return [];
      const out: { id: string; event: ExecutionEvent }[] = [];
      for (const [, entries] of reply) {
        for (const [id, fields] of entries) {
          const json = fields[fields.indexOf(eventField) + 1];
          if (json) out.push({ id, event: JSON.parse(json) as ExecutionEvent });
        }
      }
      return out;
    },
  };
}
