import type { Redis } from 'ioredis';
import {
  controlField,
  eventField,
  redisKeys,
  type ControlMessage,
  type ExecutionEvent,
  type Job,
} from '@muscode/common';
import { createFairQueue } from './fair-queue.js';
import { appendEventScript } from './scripts/append-event.js';

export interface Streams {
  /** Queues a job for the agents of a region, behind its owner's (the fair queue, fair-queue.ts). */
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

type WithAppend = Redis & {
  muscodeAppendEvent(
    events: string,
    report: string,
    event: string,
    maxLen: number,
    ttlSeconds: number,
    attempt: string,
    runnerSeq: number,
    type: string,
  ): Promise<number>;
};

/** The event's JSON without `seq` (the append script puts the execution's next seq in front). */
function eventJson(event: ExecutionEvent, resultMaxBytes: number): string {
  const rest: Record<string, unknown> = { ...event };
  delete rest['seq'];
  const json = JSON.stringify(rest);
  if (event.type !== 'result' || !event.view || Buffer.byteLength(json) <= resultMaxBytes) return json;
  // Too large to keep twice (its output is in the stream already): readers look it up.
  delete rest['view'];
  return JSON.stringify(rest);
}

export function createStreams(
  redis: Redis,
  opts: {
    prefix: string;
    eventsMaxLen: number;
    eventsTtlSeconds: number;
    /** Largest result event (JSON bytes) that carries the execution's view; 0 = never. */
    resultEventMaxBytes?: number;
  },
): Streams {
  const keys = redisKeys(opts.prefix);
  const resultMaxBytes = opts.resultEventMaxBytes ?? 256 * 1024;
  // EVALSHA (ioredis loads the script when Redis does not know it yet).
  redis.defineCommand('muscodeAppendEvent', { numberOfKeys: 2, lua: appendEventScript });
  const r = redis as WithAppend;
  const fair = createFairQueue(redis, { prefix: opts.prefix });
  const append = async (
    executionId: string,
    event: ExecutionEvent | null,
    attempt: string,
    runnerSeq: number,
  ): Promise<number> => {
    // The script numbers the event; whatever seq the caller put there is dropped.
    const result = await r.muscodeAppendEvent(
      keys.events(executionId),
      keys.report(executionId),
      event ? eventJson(event, resultMaxBytes) : '',
      opts.eventsMaxLen,
      opts.eventsTtlSeconds,
      attempt,
      runnerSeq,
      event?.type ?? '',
    );
    return Number(result);
  };
  return {
    async enqueueJob(region, job) {
      await fair.enqueue(region, job);
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
