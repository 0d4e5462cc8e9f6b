import type { Redis } from 'ioredis';
import {
  createStreamFollower,
  followEvents,
  redisKeys,
  type ExecutionEvent,
  type Logger,
  type StreamFollower,
} from '@muscode/common';

/** Receives the events of one followed execution, in order, each once. */
export interface Watcher {
  onEvent(event: ExecutionEvent): void;
}

/**
 * Fan-out of execution event streams to the WebSocket clients of this gateway, on common's
 * stream follower: ONE blocking XREAD over every stream that any client follows, whatever the
 * number of clients, on one connection of its own.
 *
 * Exactly once and in order: the follower delivers each watch the entries after the id it has
 * reached (those already in Redis first, by XRANGE, then the shared read's), and the
 * control-plane gives each execution's events a contiguous `seq`, so a watch from `fromSeq`
 * skips the events at or below it. Nothing is held back per watch while it catches up (the
 * follower reads again from where the watch is), so a slow client costs its socket's buffer,
 * which the session caps (GATEWAY_WS_MAX_BUFFERED_BYTES), and no memory here.
 */
export function createFanout(opts: {
  redis: Redis;
  prefix: string;
  blockMs: number;
  batch: number;
  log: Logger;
}) {
  const keys = redisKeys(opts.prefix);
  const log = opts.log.child({ component: 'fanout' });
  /** Watches per followed execution (for stats). */
  const watches = new Map<string, number>();
  let follower: StreamFollower | undefined;
  let stopped = false;

  return {
    start(): void {
      // XREAD BLOCK holds its connection: the reader has one of its own, without retry limit.
      follower = createStreamFollower(opts.redis, {
        blockMs: opts.blockMs,
        count: opts.batch,
        log,
        reader: () => opts.redis.duplicate({ maxRetriesPerRequest: null }),
      });
    },

    /**
     * Follows an execution's events with seq above `fromSeq`: first those already in Redis,
     * then live ones. Returns the function that stops following.
     */
    follow(executionId: string, fromSeq: number, watcher: Watcher): () => void {
      if (!follower || stopped) return () => undefined;
      let lastSeq = fromSeq;
      let active = true;
      const f = followEvents(follower, keys, executionId, '0', (events) => {
        for (const { event } of events) {
          if (!active) return;
          if (event.seq <= lastSeq) continue;
          lastSeq = event.seq;
          watcher.onEvent(event);
        }
      });
      watches.set(executionId, (watches.get(executionId) ?? 0) + 1);
      return () => {
        if (!active) return;
        active = false;
        f.stop();
        const n = (watches.get(executionId) ?? 1) - 1;
        if (n > 0) watches.set(executionId, n);
        else watches.delete(executionId);
      };
    },

    /** Whether an execution's stream still exists in Redis (it expires after its last event). */
    async exists(executionId: string): Promise<boolean> {
      return (await opts.redis.exists(keys.events(executionId))) === 1;
    },

    stats: () => ({
      streams: watches.size,
      watches: [...watches.values()].reduce((n, w) => n + w, 0),
    }),

    async stop(): Promise<void> {
      stopped = true;
      follower?.close();
    },
  };
}

export type Fanout = ReturnType<typeof createFanout>;
