import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import { compareStreamIds, parseEntries, parseReadReply, type StreamEntry } from './reply.js';

export interface StreamFollower {
  /**
   * Calls `onEntries` with every entry of `key` after `afterId` ('0' = from the start), those
   * already there first, then each new one as it arrives, in order and each once, until the
   * returned `stop()`.
   */
  follow(key: string, afterId: string, onEntries: (entries: StreamEntry[]) => void): { stop(): void };
  /** Stops every follow and closes the reader's connection. */
  close(): void;
}

interface Follow {
  after: string;
  onEntries: (entries: StreamEntry[]) => void;
  /** False until the follower has caught up with the shared read (it gets nothing from it). */
  ready: boolean;
}

/**
 * Many followers of many streams on one connection: a single reader XREADs every followed
 * stream at once (BLOCK), and a new follow interrupts the read under way with CLIENT UNBLOCK
 * from the shared command connection, so it joins at once. Before, every follower held a
 * connection of its own (a TCP connect, a ready check and a disconnect per execution, on the
 * agent for each job's control stream and on the control-plane for each `?wait=true`).
 *
 * A new follower first gets what is already in the stream after its id from one XRANGE on the
 * command connection, then entries from the shared read; ids are compared per follower, so
 * nothing is delivered twice or skipped when the two overlap.
 */
export function createStreamFollower(
  redis: Redis,
  opts: {
    blockMs?: number;
    count?: number;
    log?: Logger;
    /** Makes the reader's own connection (default: a duplicate of `redis`); it must allow long commands. */
    reader?: () => Redis;
  } = {},
): StreamFollower {
  const blockMs = opts.blockMs ?? 5000;
  const count = opts.count ?? 500;
  const catchUpCount = 10_000;
  const streams = new Map<string, Set<Follow>>();
  /** Where the shared read of each stream is. */
  const cursors = new Map<string, string>();
  let reader: Redis | undefined;
  let readerId: number | undefined;
  let running = false;
  let closed = false;
  /** Bumped each time the loop starts a read; an unblock that came too early is retried. */
  let reads = 0;
  let wake: (() => void) | undefined;

  function deliver(key: string, entries: StreamEntry[]) {
    for (const f of streams.get(key) ?? []) {
      if (!f.ready) continue;
      const fresh = entries.filter((e) => compareStreamIds(e.id, f.after) > 0);
      if (fresh.length === 0) continue;
      f.after = fresh[fresh.length - 1]!.id;
      try {
        f.onEntries(fresh);
      } catch (err) {
        opts.log?.warn({ err: (err as Error).message, key }, 'stream follower callback failed');
      }
    }
  }

  async function loop() {
    running = true;
    if (!reader) {
      reader = opts.reader ? opts.reader() : redis.duplicate();
      // A reconnected reader is another client: its id is asked for again.
      reader.on('ready', () => {
        readerId = undefined;
      });
    }
    while (!closed && streams.size > 0) {
      try {
        readerId ??= Number(await reader.client('ID'));
        const keys = [...streams.keys()];
        reads++;
        const reply = await reader.xread(
          'COUNT',
          count,
          'BLOCK',
          blockMs,
          'STREAMS',
          ...keys,
          ...keys.map((k) => cursors.get(k) ?? '0'),
        );
        for (const { key, entries } of parseReadReply(reply)) {
          cursors.set(key, entries[entries.length - 1]!.id);
          deliver(key, entries);
        }
      } catch (err) {
        if (closed) break;
        // An UNBLOCK with ERROR would land here too; ours unblocks with TIMEOUT (a null reply).
        opts.log?.warn({ err: (err as Error).message }, 'stream follower read failed');
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 250);
        });
        wake = undefined;
      }
    }
    running = false;
  }

  /** Makes the reader start a new read that includes every followed stream. */
  function interrupt() {
    if (!running) {
      void loop();
      return;
    }
    const at = reads;
    const tryUnblock = (tries: number) => {
      if (closed || reads !== at || readerId === undefined) return;
      void redis.client('UNBLOCK', readerId, 'TIMEOUT').then(
        (n) => {
          // 0: the read had not reached Redis yet (or just ended): try again shortly, unless
          // a new read has begun since (it has the new stream).
          if (Number(n) === 0 && tries < 50) setTimeout(() => tryUnblock(tries + 1), 5);
        },
        () => undefined,
      );
    };
    if (readerId === undefined) setTimeout(() => tryUnblock(0), 5);
    else tryUnblock(0);
    wake?.();
  }

  return {
    follow(key, afterId, onEntries) {
      const f: Follow = { after: afterId, onEntries, ready: false };
      let set = streams.get(key);
      const isNew = !set;
      if (!set) streams.set(key, (set = new Set()));
      set.add(f);
      let stopped = false;
      // What is there already, for this follower alone, until it has reached the shared read
      // (which may have moved on meanwhile: then once more from where the follower is).
      const catchUp = async () => {
        for (;;) {
          let raw: StreamEntry[];
          try {
            raw = parseEntries(
              await redis.xrange(key, f.after === '0' ? '-' : `(${f.after}`, '+', 'COUNT', catchUpCount),
            );
          } catch (err) {
            if (stopped || closed) return;
            opts.log?.warn({ err: (err as Error).message, key }, 'stream catch-up failed');
            await new Promise((r) => setTimeout(r, 250));
            continue;
          }
          if (stopped) return;
          if (raw.length > 0) {
            f.after = raw[raw.length - 1]!.id;
            try {
              f.onEntries(raw);
            } catch (err) {
              opts.log?.warn({ err: (err as Error).message, key }, 'stream follower callback failed');
            }
          }
          if (raw.length < catchUpCount && compareStreamIds(cursors.get(key) ?? '0', f.after) <= 0) {
            f.ready = true;
            return;
          }
        }
      };
      void catchUp();
      if (isNew) {
        // The shared read starts at this follower's id; what it repeats of the catch-up is skipped.
        cursors.set(key, afterId);
        interrupt();
      }
      return {
        stop() {
          if (stopped) return;
          stopped = true;
          set.delete(f);
          if (set.size === 0 && streams.get(key) === set) {
            streams.delete(key);
            cursors.delete(key);
          }
        },
      };
    },
    close() {
      closed = true;
      streams.clear();
      reader?.disconnect();
    },
  };
}
