import type { Redis } from 'ioredis';
import { consumerGroup, parseEntries, parseReadReply, type StreamEntry } from '@muscode/common';

/** Where a delivery came from: a fresh read, a reclaim from an idle owner, or this agent's own after a restart. */
export type DeliverySource = 'read' | 'reclaim' | 'own';

/** One delivery of a job stream entry to this agent, with the entry's delivery count. */
export interface Delivery {
  entry: StreamEntry;
  deliveries: number;
}

/** One row of an XPENDING extended reply: entry id, consumer, idle ms, delivery count. */
type PendingRow = [string, string, number, number];

/**
 * Delivery counts from the replies of one `XPENDING <stream> <group> <id> <id> 1` per id, in
 * order; an id whose call failed or that is no longer pending is left out.
 */
export function deliveryCounts(ids: string[], replies: [Error | null, unknown][]): Map<string, number> {
  const out = new Map<string, number>();
  replies.forEach(([err, reply], i) => {
    const row = (reply as PendingRow[] | null)?.[0];
    if (!err && row) out.set(ids[i] ?? '', Number(row[3]));
  });
  return out;
}

/**
 * Taking deliveries from `jobs:<region>` through the `runners` group: fresh entries
 * (XREADGROUP), this agent's own left from before a restart (XPENDING + XCLAIM), and idle
 * entries of others (XAUTOCLAIM). Claims count as deliveries; entries deleted while pending are
 * left out (parseEntries).
 */
export function createJobSource(opts: {
  redis: Redis;
  /** The connection the blocking read holds. */
  reader: Redis;
  stream: string;
  consumerName: string;
}) {
  const { redis, reader, stream, consumerName } = opts;

  async function withCounts(entries: StreamEntry[]): Promise<Delivery[]> {
    if (entries.length === 0) return [];
    const ids = entries.map((e) => e.id);
    const pipe = redis.pipeline();
    for (const id of ids) pipe.xpending(stream, consumerGroup, id, id, 1);
    const counts = deliveryCounts(ids, (await pipe.exec()) ?? []);
    return entries.map((entry) => ({ entry, deliveries: counts.get(entry.id) ?? 1 }));
  }

  return {
    async ensureGroup(): Promise<void> {
      try {
        // From "0": jobs queued before any agent existed are still read.
        await redis.xgroup('CREATE', stream, consumerGroup, '0', 'MKSTREAM');
      } catch (err) {
        if (!(err as Error).message.includes('BUSYGROUP')) throw err;
      }
    },

    /** Up to `count` entries no one was given yet, waiting up to `blockMs` for one. */
    async read(count: number, blockMs: number): Promise<Delivery[]> {
      const reply = await reader.xreadgroup(
        'GROUP',
        consumerGroup,
        consumerName,
        'COUNT',
        count,
        'BLOCK',
        blockMs,
        'STREAMS',
        stream,
        '>',
      );
      return parseReadReply(reply).flatMap((b) => b.entries.map((entry) => ({ entry, deliveries: 1 })));
    },

    /** Up to `count` entries left pending to this agent id by an earlier run of it. */
    async claimOwn(count: number): Promise<Delivery[]> {
      const pending = (await redis.xpending(
        stream,
        consumerGroup,
        '-',
        '+',
        count,
        consumerName,
      )) as PendingRow[];
      const ids = pending.map((p) => p[0]);
      if (ids.length === 0) return [];
      return withCounts(parseEntries(await redis.xclaim(stream, consumerGroup, consumerName, 0, ...ids)));
    },

    /** Up to `count` entries of any agent idle (not renewed) for `idleMs`. */
    async reclaimIdle(idleMs: number, count: number): Promise<Delivery[]> {
      const reply = (await redis.xautoclaim(
        stream,
        consumerGroup,
        consumerName,
        idleMs,
        '0-0',
        'COUNT',
        count,
      )) as [string, unknown, string[]?];
      return withCounts(parseEntries(reply[1]));
    },
  };
}

export type JobSource = ReturnType<typeof createJobSource>;
