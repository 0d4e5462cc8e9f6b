import type { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import type { LanguageManifest, Logger } from '@muscode/common';
import { objectPrefix, type ByteRange, type ObjectStore } from '../../infra/object-store/index.js';
import type { ExecutionRow, FinalResult } from './repo.js';

export type OutputStream = 'stdout' | 'stderr';

export async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** The manifest with the operator's larger output limit (CP_MAX_OUTPUT_BYTES; 0: as it is). */
export function withOutputLimit(m: LanguageManifest, maxOutputBytes: number): LanguageManifest {
  if (maxOutputBytes <= m.limits.outputBytes.max) return m;
  return { ...m, limits: { ...m.limits, outputBytes: { ...m.limits.outputBytes, max: maxOutputBytes } } };
}

/** A stream held in the row, whole or cut to a range (inclusive; an end past it is clamped). */
export function cutRange(all: Buffer, range?: ByteRange) {
  if (!range) return { bytes: all, size: all.length };
  const end = Math.min(range.end ?? all.length - 1, all.length - 1);
  return { bytes: all.subarray(range.start, end + 1), size: all.length, range: { start: range.start, end } };
}

/**
 * Large outputs: a stream of a result longer than `inlineBytes` is written to the object store
 * (`executions/<id>/stdout`) and the row keeps its key and size; readers get the whole output
 * back from there, or a byte range of it. When the store cannot take it, it stays in the row:
 * an output is never lost for want of a store.
 */
export function createOutputs(deps: { store: ObjectStore; inlineBytes: number; log: Logger }) {
  const { store } = deps;
  return {
    /** The result as it is to be written: large streams moved to objects. */
    async offload(executionId: string, r: FinalResult): Promise<FinalResult> {
      const out: FinalResult = { ...r };
      for (const stream of ['stdout', 'stderr'] as const) {
        const bytes = r[stream];
        if (bytes.length <= deps.inlineBytes) continue;
        const key = `${objectPrefix.execution(executionId)}${stream}`;
        try {
          await store.put(key, bytes, {
            size: bytes.length,
            contentType: 'application/octet-stream',
            sha256: createHash('sha256').update(bytes).digest('hex'),
          });
        } catch (err) {
          deps.log.warn(
            { err: (err as Error).message, executionId, stream, bytes: bytes.length },
            'large output not stored; kept in the row',
          );
          continue;
        }
        out[stream] = Buffer.alloc(0);
        out[`${stream}Object`] = { key, size: bytes.length };
      }
      return out;
    },

    /**
     * The row with its whole output in place. An output whose object is gone (expired) reads as
     * empty, and `expired` names the streams it happened to.
     */
    async load(row: ExecutionRow): Promise<{ row: ExecutionRow; expired: OutputStream[] }> {
      const expired: OutputStream[] = [];
      const filled = { ...row };
      for (const stream of ['stdout', 'stderr'] as const) {
        const key = row[`${stream}_object_key`];
        if (!key) continue;
        const obj = await store.get(key);
        if (obj) filled[stream] = await readAll(obj.body);
        else expired.push(stream);
      }
      return { row: filled, expired };
    },

    /** One stream of the row, whole or a range (inclusive), with its total size. */
    async read(
      row: ExecutionRow,
      stream: OutputStream,
      range?: ByteRange,
    ): Promise<{ bytes: Buffer | Readable; size: number; range?: { start: number; end: number } } | null> {
      const key = row[`${stream}_object_key`];
      if (!key) return cutRange(row[stream] ?? Buffer.alloc(0), range);
      const obj = await store.get(key, range);
      if (!obj) return null;
      return {
        bytes: obj.body,
        size: row[`${stream}_size`] ?? obj.size,
        ...(obj.range ? { range: obj.range } : {}),
      };
    },
  };
}

export type Outputs = ReturnType<typeof createOutputs>;
