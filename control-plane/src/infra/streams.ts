import type { Redis } from 'ioredis';
import {
  controlField,
  createStreamFollower,
  eventField,
  redisKeys,
  type ControlMessage,
  type ExecutionEvent,
  type Job,
  type StreamFollower,
} from '@muscode/common';
import { createFairQueue } from './fair-queue.js';
import { blockingConnection } from './redis.js';
import { appendEventScript } from './scripts/append-event.js';

/**
 * Field of a job stream entry with the execution id alone (next to `job`, the whole job); the
 * fair queue's dispatch script writes it (scripts/fair-queue.ts).
 */
export const jobIdField = 'exec';

/**
 * KEYS[1]  a region's job stream;  ARGV[1] start id (exclusive form allowed);  ARGV[2] count
 * Returns  { last entry id read, entries read, execution ids }: the ids only, so that knowing
 * which executions are queued never moves the jobs' code and stdin over the network. Entries
 * written before the id field existed are read from their job JSON.
 */
export const jobIdsScript = `
local entries = redis.call('XRANGE', KEYS[1], ARGV[1], '+', 'COUNT', tonumber(ARGV[2]))
local ids = {}
local last = ''
for _, e in ipairs(entries) do
  last = e[1]
  local f = e[2]
  local id = nil
  for j = 1, #f, 2 do
    if f[j] == '${jobIdField}' then id = f[j + 1] break end
  end
  if not id then
    for j = 1, #f, 2 do
      if f[j] == 'job' then
        local ok, job = pcall(cjson.decode, f[j + 1])
        if ok and type(job) == 'table' and type(job.executionId) == 'string' then id = job.executionId end
        break
      end
    end
  end
  if id then ids[#ids + 1] = id end
end
return { last, #entries, ids }
`;

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
  /**
   * Lets an interactive execution be sent `bytes` of stdin through the control stream (the
   * gateway spends the budget; without one, stdin is refused).
   */
  allowStdin(executionId: string, bytes: number): Promise<void>;
  /** Sends stdin, stdin_close or cancel to the agent running an execution. */
  sendControl(executionId: string, message: ControlMessage): Promise<void>;
  /**
   * Calls `onEvents` with the events after `afterId` ("0" for all), those there first, then as
   * they come, until `stop()`. Every follow of this instance shares one reading connection.
   */
  followEvents(
    executionId: string,
    afterId: string,
    onEvents: (events: { id: string; event: ExecutionEvent }[]) => void,
  ): { stop(): void };
  /** Closes the shared reading connection of followEvents. */
  close(): void;
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
  let follower: StreamFollower | undefined;
  return {
    followEvents(executionId, afterId, onEvents) {
      // The reader blocks (XREAD BLOCK): its connection has no command timeout.
      follower ??= createStreamFollower(redis, { reader: () => blockingConnection(redis) });
      return follower.follow(keys.events(executionId), afterId, (entries) => {
        const events: { id: string; event: ExecutionEvent }[] = [];
        for (const { id, fields } of entries) {
          const json = fields[fields.indexOf(eventField) + 1];
          if (json) events.push({ id, event: JSON.parse(json) as ExecutionEvent });
        }
        if (events.length > 0) onEvents(events);
      });
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
    async allowStdin(executionId, bytes) {
      await redis.set(keys.stdinBudget(executionId), bytes, 'EX', opts.eventsTtlSeconds);
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
