/**
 * Redis stream replies, parsed in one place. ioredis hands XRANGE, XREAD and XREADGROUP replies
 * over untyped (`unknown` or loose tuples); everything that reads a stream turns them into
 * these shapes here.
 */

/** One entry of a Redis stream: its id and its fields as Redis gives them (name, value, …). */
export interface StreamEntry {
  id: string;
  fields: string[];
}

/** The entries one stream gave in an XREAD / XREADGROUP reply. */
export interface StreamBatch {
  key: string;
  entries: StreamEntry[];
}

/** Orders two stream ids (`<ms>-<seq>`) numerically. */
export function compareStreamIds(a: string, b: string): number {
  const [am = '0', as = '0'] = a.split('-');
  const [bm = '0', bs = '0'] = b.split('-');
  if (am !== bm) return am.length !== bm.length ? am.length - bm.length : am < bm ? -1 : 1;
  if (as === bs) return 0;
  return as.length !== bs.length ? as.length - bs.length : as < bs ? -1 : 1;
}

/**
 * Entries of an XRANGE, XCLAIM or XAUTOCLAIM reply (`[[id, [field, value, …]], …]`). An entry
 * deleted while it was pending (XCLAIM / XAUTOCLAIM give `[id, null]`) is left out: it is gone
 * from the pending list too, so there is nothing to do with it.
 */
export function parseEntries(raw: unknown): StreamEntry[] {
  if (!Array.isArray(raw)) return [];
  const out: StreamEntry[] = [];
  for (const item of raw as unknown[]) {
    if (!Array.isArray(item) || typeof item[0] !== 'string' || !Array.isArray(item[1])) continue;
    out.push({ id: item[0], fields: (item[1] as unknown[]).map(String) });
  }
  return out;
}

/**
 * An XREAD or XREADGROUP reply: null when the block timed out (or was unblocked), else
 * `[[key, entries], …]`. Streams that gave nothing are left out.
 */
export function parseReadReply(reply: unknown): StreamBatch[] {
  if (!Array.isArray(reply)) return [];
  const out: StreamBatch[] = [];
  for (const item of reply as unknown[]) {
    if (!Array.isArray(item) || typeof item[0] !== 'string') continue;
    const entries = parseEntries(item[1]);
    if (entries.length > 0) out.push({ key: item[0], entries });
  }
  return out;
}
