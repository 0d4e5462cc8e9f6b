import type { Redis } from 'ioredis';
import {
  createControlWriter,
  createStreamFollower,
  encodeEvent,
  followEvents,
  redisKeys,
  redisScript,
  type ControlMessage,
  type ExecutionEvent,
  type Job,
  type StdinOutcome,
  type StreamEvent,
  type StreamFollower,
} from '@muscode/common';
import { createFairQueue } from './fair-queue.js';
import { blockingConnection } from './redis.js';

/**
 * Field of a job stream entry with the execution id alone (next to `job`, the whole job); the
 * fair queue's dispatch script writes it (fair-dispatch.lua; job-ids.lua reads it).
 */
export const jobIdField = 'exec';

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
   * event's seq, or one of scriptCodes.appendEvent.
   */
  appendReported(
    executionId: string,
    report: { attempt: number; runnerSeq: number },
    event: ExecutionEvent | null,
  ): Promise<number>;
  /**
   * Lets an interactive execution be sent `bytes` of stdin through the control stream (the
   * gateway spends the budget; without one, stdin is refused).
   */
  allowStdin(executionId: string, bytes: number): Promise<void>;
  /**
   * Sends stdin or stdin_close, spending the execution's stdin budget (send-stdin.lua, as the
   * gateway does, through common's control writer): whether it was sent or why not.
   */
  sendStdin(
    executionId: string,
    message: Extract<ControlMessage, { type: 'stdin' | 'stdin_close' }>,
  ): Promise<StdinOutcome>;
  /** Sends stdin, stdin_close or cancel to the agent running an execution. */
  sendControl(executionId: string, message: ControlMessage): Promise<void>;
  /**
   * Calls `onEvents` with the events after `afterId` ("0" for all), those there first, then as
   * they come, until `stop()`. Every follow of this instance shares one reading connection.
   */
  followEvents(
    executionId: string,
    afterId: string,
    onEvents: (events: StreamEvent[]) => void,
  ): { stop(): void };
  /** Closes the shared reading connection of followEvents. */
  close(): void;
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
  redis.defineCommand('muscodeAppendEvent', redisScript('append-event'));
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
      event ? encodeEvent(event, resultMaxBytes) : '',
      opts.eventsMaxLen,
      opts.eventsTtlSeconds,
      attempt,
      runnerSeq,
      event?.type ?? '',
    );
    return Number(result);
  };
  const control = createControlWriter(redis, {
    prefix: opts.prefix,
    maxLen: opts.eventsMaxLen,
    ttlSeconds: opts.eventsTtlSeconds,
  });
  let follower: StreamFollower | undefined;
  return {
    followEvents(executionId, afterId, onEvents) {
      // The reader blocks (XREAD BLOCK): its connection has no command timeout.
      follower ??= createStreamFollower(redis, { reader: () => blockingConnection(redis) });
      return followEvents(follower, keys, executionId, afterId, onEvents);
    },
    close() {
      follower?.close();
    },
    async enqueueJob(region, job) {
      await fair.enqueue(region, job);
    },
    async appendEvent(executionId, event) {
      await append(executionId, event, '', 0);
    },
    async appendReported(executionId, report, event) {
      return append(executionId, event, String(report.attempt), report.runnerSeq);
    },
    allowStdin: (executionId, bytes) => control.allowStdin(executionId, bytes),
    sendControl: (executionId, message) => control.send(executionId, message),
    sendStdin: (executionId, message) => control.sendStdin(executionId, message),
  };
}
