import type { Redis } from 'ioredis';
import { eventField, redisKeys, type ExecutionEvent, type Logger } from '@muscode/common';

/** Receives the events of one followed execution, in order, each once. */
export interface Watcher {
  onEvent(event: ExecutionEvent): void;
  /** Called when the watcher fell too far behind during a replay and was dropped. */
  onOverflow(): void;
}

interface Watch {
  watcher: Watcher;
  /** Highest seq delivered; events at or below it are skipped. */
  lastSeq: number;
  /** Live events held back while the watch's replay from Redis is running. */
  pending: ExecutionEvent[] | null;
  active: boolean;
}

interface Followed {
  key: string;
  /** Stream id of the last entry the loop has read. */
  lastId: string;
  watches: Set<Watch>;
}

/** Compares Redis stream ids ("ms-seq"). */
export function compareIds(a: string, b: string): number {
  const [am = 0n, as = 0n] = a.split('-').map(BigInt);
  const [bm = 0n, bs = 0n] = b.split('-').map(BigInt);
  if (am !== bm) return am < bm ? -1 : 1;
  if (as !== bs) return as < bs ? -1 : 1;
  return 0;
}

function parseEntries(entries: [string, string[]][]): { id: string; event: ExecutionEvent | null }[] {
  return entries.map(([id, fields]) => {
    const json = fields[fields.indexOf(eventField) + 1];
    try {
      return { id, event: json ? (JSON.parse(json) as ExecutionEvent) : null };
    } catch {
      return { id, event: null };
    }
  });
}

/**
 * Fan-out of execution event streams to the WebSocket clients of this gateway: ONE blocking
 * XREAD loop over every stream that any client follows, whatever the number of clients.
 *
 * Exactly once and in order: the control-plane gives each execution's events a contiguous
 * `seq`, and each watch delivers only events above the last seq it delivered. A watch that
 * joins a stream the loop already follows replays the older entries with XRANGE while the
 * loop's newer events wait in its `pending` list; the seq filter removes the overlap.
 */
export function createFanout(opts: {
  redis: Redis;
  prefix: string;
  blockMs: number;
  batch: number;
  /** Live events a watch may hold back during its replay before it counts as overflowing. */
  maxPending: number;
  log: Logger;
}) {
  const keys = redisKeys(opts.prefix);
  const log = opts.log.child({ component: 'fanout' });
  const followed = new Map<string, Followed>();
  // XREAD BLOCK holds its connection: the loop has one of its own.
  const reader = opts.redis.duplicate({ maxRetriesPerRequest: null });
  let readerId: number | undefined;
  reader.on('ready', () => {
    reader.client('ID').then(
      (id) => {
        readerId = Number(id);
      },
      () => undefined,
    );
  });
  let stopped = false;
  let blocked = false;
  let dirty = false;
  let idle: (() => void) | undefined;
  let loopDone: Promise<void> = Promise.resolve();

  function deliver(w: Watch, event: ExecutionEvent): void {
    if (!w.active || event.seq <= w.lastSeq) return;
    if (w.pending) {
      if (w.pending.length >= opts.maxPending) {
        w.active = false;
        w.watcher.onOverflow();
        return;
      }
      w.pending.push(event);
      return;
    }
    w.lastSeq = event.seq;
    w.watcher.onEvent(event);
  }

  /** Makes the loop pick up a changed set of streams now rather than after its block time. */
  function wake(): void {
    dirty = true;
    if (idle) {
      idle();
      idle = undefined;
      return;
    }
    if (!blocked || readerId === undefined) return;
    opts.redis.client('UNBLOCK', readerId).catch(() => undefined);
    // The UNBLOCK may overtake the XREAD it targets; try again shortly if it did.
    setTimeout(() => {
      if (dirty && blocked && readerId !== undefined) {
        opts.redis.client('UNBLOCK', readerId).catch(() => undefined);
      }
    }, 50).unref();
  }

  async function replay(f: Followed, upTo: string, w: Watch): Promise<void> {
    let start = '-';
    try {
      while (w.active) {
        const entries = await opts.redis.xrange(f.key, start, upTo, 'COUNT', opts.batch);
        for (const { id, event } of parseEntries(entries)) {
          start = `(${id}`;
          if (!event || !w.active || event.seq <= w.lastSeq) continue;
          w.lastSeq = event.seq;
          w.watcher.onEvent(event);
        }
        if (entries.length < opts.batch) break;
      }
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'replay failed');
    }
    const held = w.pending ?? [];
    w.pending = null;
    for (const event of held) deliver(w, event);
  }

  async function loop(): Promise<void> {
    while (!stopped) {
      if (followed.size === 0) {
        await new Promise<void>((resolve) => {
          idle = resolve;
        });
        continue;
      }
      dirty = false;
      const streams = [...followed.values()];
      let reply: [string, [string, string[]][]][] | null = null;
      blocked = true;
      try {
        reply = await reader.xread(
          'COUNT',
          opts.batch,
          'BLOCK',
          opts.blockMs,
          'STREAMS',
          ...streams.map((f) => f.key),
          ...streams.map((f) => f.lastId),
        );
      } catch (err) {
        if (stopped) return;
        log.warn({ err: (err as Error).message }, 'fan-out read failed');
        await new Promise((r) => setTimeout(r, 250));
      } finally {
        blocked = false;
      }
      for (const [key, entries] of reply ?? []) {
        const f = followed.get(key);
        if (!f) continue;
        for (const { id, event } of parseEntries(entries)) {
          // A stream dropped and followed again while this read ran starts over from 0.
          if (compareIds(id, f.lastId) <= 0) continue;
          f.lastId = id;
          if (!event) continue;
          for (const w of [...f.watches]) deliver(w, event);
        }
      }
    }
  }

  return {
    start(): void {
      loopDone = loop();
    },

    /**
     * Follows an execution's events with seq above `fromSeq`: first those already in Redis,
     * then live ones. Returns the function that stops following.
     */
    follow(executionId: string, fromSeq: number, watcher: Watcher): () => void {
      const key = keys.events(executionId);
      const w: Watch = { watcher, lastSeq: fromSeq, pending: null, active: true };
      let f = followed.get(key);
      if (!f) {
        // The loop reads a newly followed stream from its start: that read is the replay.
        f = { key, lastId: '0', watches: new Set([w]) };
        followed.set(key, f);
        wake();
      } else if (f.lastId === '0') {
        // Nothing read yet: the loop's first read of the stream serves this watch too.
        f.watches.add(w);
      } else {
        w.pending = [];
        f.watches.add(w);
        void replay(f, f.lastId, w);
      }
      const mine = f;
      return () => {
        w.active = false;
        mine.watches.delete(w);
        if (mine.watches.size === 0 && followed.get(key) === mine) {
          followed.delete(key);
          wake();
        }
      };
    },

    /** Whether an execution's stream still exists in Redis (it expires after its last event). */
    async exists(executionId: string): Promise<boolean> {
      return (await opts.redis.exists(keys.events(executionId))) === 1;
    },

    stats: () => ({
      streams: followed.size,
      watches: [...followed.values()].reduce((n, f) => n + f.watches.size, 0),
    }),

    async stop(): Promise<void> {
      stopped = true;
      idle?.();
      reader.disconnect();
      await loopDone.catch(() => undefined);
    },
  };
}

export type Fanout = ReturnType<typeof createFanout>;
