import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Logger } from '@muscode/common';
import { errors } from '../../errors.js';
import { objectPrefix, type ObjectStore } from '../../infra/object-store/index.js';
import { contentTypeOf } from './content-type.js';
import type { ArtifactRepo, ArtifactRow, SkippedSummary } from './repo.js';

/** What a job may send back from /workspace/output (the job's `limits.artifacts`). */
export interface ArtifactLimits {
  maxCount: number;
  maxFileBytes: number;
  maxBytes: number;
}

/** One chunk of an artifact as the agent reported it (proto ArtifactChunk). */
export interface ArtifactChunk {
  name: string;
  size: number;
  sha256: string;
  offset: number;
  data: Uint8Array;
}

/** The result's `artifacts`: the files with their state, and what was left out. */
export interface ArtifactsView {
  files: {
    id: string;
    name: string;
    size: number;
    contentType: string;
    sha256: string;
    state: ArtifactRow['state'];
    /** The download path (under /api/v1, the owner's token needed), while the bytes are stored. */
    url: string | null;
    /** A short-lived download path that needs no token (when signed URLs are configured). */
    signedUrl?: string | null;
  }[];
  /** Entries left out (at most 100), with why: too_large, total_limit, count_limit, symlink, … */
  skipped: { name: string; reason: string }[];
  /** Every entry left out, also those past the listed ones. */
  skippedCount: number;
  /** Some files were not stored because the owner's storage quota had no room. */
  storageQuotaExceeded: boolean;
}

/** One report stream's artifacts being put together from their chunks. */
export interface ArtifactAssembler {
  chunk(executionId: string, c: ArtifactChunk): Promise<void>;
  end(executionId: string, skipped: SkippedSummary): Promise<void>;
}

export function createArtifactService(deps: {
  repo: ArtifactRepo;
  store: ObjectStore;
  log: Logger;
  /** Signs token-free download URLs valid for `ttlSeconds` (absent: no signed URLs). */
  signing?: { secret: string; ttlSeconds: number };
  now?: () => number;
}) {
  const { repo, store } = deps;
  const now = deps.now ?? Date.now;
  const signature = (secret: string, artifactId: string, expires: number) =>
    createHmac('sha256', secret).update(`${artifactId}.${expires}`).digest('hex');
  const signedUrl = (artifactId: string): string | undefined => {
    if (!deps.signing) return undefined;
    const expires = Math.floor(now() / 1000) + deps.signing.ttlSeconds;
    const sig = signature(deps.signing.secret, artifactId, expires);
    return `/api/v1/artifacts/${artifactId}?expires=${expires}&signature=${sig}`;
  };

  async function bytesOf(row: ArtifactRow | null): Promise<{ row: ArtifactRow; body: Readable }> {
    if (!row) throw errors.notFound('Artifact');
    if (row.state !== 'stored' || !row.object_key) throw errors.notFound(`Artifact (${row.state})`);
    const obj = await store.get(row.object_key);
    if (!obj) throw errors.notFound('Artifact (expired)');
    return { row, body: obj.body };
  }

  /**
   * Stores one whole artifact: recorded and charged first (once per name: a report stream
   * sent again finds its row and stops), then written. A failed write marks it `missing` and
   * gives its bytes back; the run's result is never held up or failed by it.
   */
  async function keep(
    executionId: string,
    f: { name: string; content: Buffer; sha256: string },
    storeFailed: { value: boolean },
    log: Logger,
  ): Promise<void> {
    if (await repo.exists(executionId, f.name)) return;
    const id = randomUUID();
    const contentType = contentTypeOf(f.name, f.content.subarray(0, 4096));
    const key = `${objectPrefix.execution(executionId)}artifacts/${id}`;
    const recorded = await repo.insert({
      id,
      executionId,
      name: f.name,
      size: f.content.length,
      contentType,
      sha256: f.sha256,
      objectKey: key,
    });
    if (recorded?.state !== 'stored') return;
    // Once a write of this stream failed (after the store's own retries), the others are not
    // tried: each would wait as long, and the result waits behind them.
    if (!storeFailed.value) {
      try {
        await store.put(key, f.content, { size: f.content.length, contentType, sha256: f.sha256 });
        return;
      } catch (err) {
        storeFailed.value = true;
        log.warn({ err: (err as Error).message, bytes: f.content.length }, 'artifact not stored');
      }
    }
    await repo.markMissing(id);
  }

  return {
    /** The assembler of one report stream: chunks of one file after the other, in order. */
    assembler(log: Logger): ArtifactAssembler {
      let open: { name: string; size: number; sha256: string; parts: Buffer[]; got: number } | undefined;
      const storeFailed = { value: false };
      return {
        async chunk(executionId, c) {
          if (c.offset === 0) open = { name: c.name, size: c.size, sha256: c.sha256, parts: [], got: 0 };
          if (
            !open ||
            open.name !== c.name ||
            c.offset !== open.got ||
            open.got + c.data.length > open.size
          ) {
            throw errors.validation('artifact chunks out of order');
          }
          open.parts.push(Buffer.from(c.data));
          open.got += c.data.length;
          if (open.got < open.size) return;
          const content = Buffer.concat(open.parts);
          const file = { name: open.name, content, sha256: open.sha256 };
          open = undefined;
          if (createHash('sha256').update(content).digest('hex') !== file.sha256) {
            // Never stored as if it were the file; the rest of the report goes on.
            log.error({ bytes: content.length }, 'artifact does not match its sha256; dropped');
            return;
          }
          await keep(executionId, file, storeFailed, log);
        },
        async end(executionId, skipped) {
          open = undefined;
          // Nothing left out (most runs): no write on the result's path.
          if (skipped.count > 0 || skipped.entries.length > 0) await repo.setSkipped(executionId, skipped);
        },
      };
    },

    /** The execution's artifacts for its result (null when the program left nothing in /workspace/output). */
    async list(executionId: string): Promise<ArtifactsView | null> {
      const { rows, skipped } = await repo.listOf(executionId);
      if (rows.length === 0 && !skipped) return null;
      return {
        files: rows.map((r) => ({
          id: r.id,
          name: r.name,
          size: r.size_bytes,
          contentType: r.content_type,
          sha256: r.sha256,
          state: r.state,
          url: r.state === 'stored' ? `/api/v1/execute/${executionId}/artifacts/${r.id}` : null,
          ...(deps.signing ? { signedUrl: r.state === 'stored' ? (signedUrl(r.id) ?? null) : null } : {}),
        })),
        skipped: skipped?.entries ?? [],
        skippedCount: skipped?.count ?? 0,
        storageQuotaExceeded: rows.some((r) => r.state === 'over_quota'),
      };
    },

    /**
     * The bytes of one artifact of the caller's execution. Another user's, an unknown id, and
     * one whose bytes are not (or no longer) stored answer 404.
     */
    async download(
      userId: string,
      executionId: string,
      artifactId: string,
    ): Promise<{ row: ArtifactRow; body: Readable }> {
      return bytesOf(await repo.findOwned(executionId, artifactId, userId));
    },

    /**
     * The bytes of an artifact through a signed URL: a wrong or expired signature answers 404,
     * like an unknown artifact.
     */
    async downloadSigned(artifactId: string, expires: number, sig: string) {
      const key = deps.signing?.secret;
      const fresh = Number.isSafeInteger(expires) && expires * 1000 >= now();
      const want = key ? Buffer.from(signature(key, artifactId, expires), 'hex') : Buffer.alloc(0);
      const got = Buffer.from(/^[0-9a-f]{64}$/.test(sig) ? sig : '', 'hex');
      if (!key || !fresh || got.length !== want.length || !timingSafeEqual(got, want)) {
        throw errors.notFound('Artifact');
      }
      return bytesOf(await repo.findById(artifactId));
    },

    /**
     * The retention sweep's part for artifacts: rows written before `cutoff` become `expired`
     * and their bytes go back to the owners' quotas, then their objects are deleted. Answers
     * how many expired.
     */
    async expire(cutoff: Date): Promise<number> {
      let n = 0;
      for (;;) {
        const keys = await repo.expire(cutoff, 500);
        if (keys.length > 0) await store.delete(keys);
        n += keys.length;
        if (keys.length < 500) return n;
      }
    },
  };
}

export type ArtifactService = ReturnType<typeof createArtifactService>;
