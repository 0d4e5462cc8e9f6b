import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  checkKey,
  type ByteRange,
  type ObjectInfo,
  type ObjectStore,
  type PutMeta,
  type StoredObject,
} from './store.js';

/**
 * The embedded store: objects as files under `root`, each with a `<file>.meta.json` beside it
 * (content type, sha256). Writes go to a temporary name first and are renamed into place, so a
 * reader never sees half an object. For a single machine with no S3 endpoint configured.
 */
export function createFsObjectStore(root: string): ObjectStore {
  const pathOf = (key: string) => join(root, 'objects', ...checkKey(key).split('/'));
  const metaOf = (path: string) => `${path}.meta.json`;

  async function readInfo(key: string, path: string): Promise<ObjectInfo | null> {
    try {
      const [st, meta] = await Promise.all([stat(path), readFile(metaOf(path), 'utf8').catch(() => '{}')]);
      const m = JSON.parse(meta) as { contentType?: string; sha256?: string };
      return { key, size: st.size, contentType: m.contentType, sha256: m.sha256, lastModified: st.mtime };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  return {
    kind: 'fs',
    async put(key: string, body: Buffer | Readable, meta: PutMeta) {
      const path = pathOf(key);
      await mkdir(dirname(path), { recursive: true });
      const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
      const hash = createHash('sha256');
      let written = 0;
      try {
        const file = await open(tmp, 'w', 0o600);
        try {
          const source = Buffer.isBuffer(body) ? Readable.from([body]) : body;
          await pipeline(source, async function* (chunks: AsyncIterable<Buffer>) {
            for await (const chunk of chunks) {
              hash.update(chunk);
              written += chunk.length;
              await file.write(chunk);
            }
            yield* [];
          });
        } finally {
          await file.close();
        }
        if (written !== meta.size)
          throw new Error(`object ${key}: ${written} bytes written, ${meta.size} declared`);
        const sha256 = hash.digest('hex');
        if (meta.sha256 !== undefined && meta.sha256 !== sha256)
          throw new Error(`object ${key}: sha256 mismatch`);
        await writeFile(metaOf(path), JSON.stringify({ contentType: meta.contentType, sha256 }), {
          mode: 0o600,
        });
        await rename(tmp, path);
      } catch (err) {
        await rm(tmp, { force: true });
        throw err;
      }
    },
    async get(key: string, range?: ByteRange): Promise<StoredObject | null> {
      const path = pathOf(key);
      const info = await readInfo(key, path);
      if (!info) return null;
      if (!range) return { ...info, body: createReadStream(path) };
      const end = Math.min(range.end ?? info.size - 1, info.size - 1);
      if (range.start > end)
        return { ...info, body: Readable.from([]), range: { start: range.start, end: range.start - 1 } };
      return {
        ...info,
        body: createReadStream(path, { start: range.start, end }),
        range: { start: range.start, end },
      };
    },
    head: (key: string) => readInfo(key, pathOf(key)),
    async delete(keys: readonly string[]) {
      for (const key of keys) {
        const path = pathOf(key);
        await rm(path, { force: true });
        await rm(metaOf(path), { force: true });
      }
    },
    async *list(prefix: string) {
      const base = join(root, 'objects');
      async function* walk(dir: string): AsyncGenerator<string> {
        let entries;
        try {
          entries = await readdir(dir, { withFileTypes: true });
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
          throw err;
        }
        for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
          const full = join(dir, entry.name);
          if (entry.isDirectory()) yield* walk(full);
          else if (!entry.name.endsWith('.meta.json') && !entry.name.endsWith('.tmp')) yield full;
        }
      }
      for await (const full of walk(base)) {
        const key = relative(base, full).split(sep).join('/');
        if (!key.startsWith(prefix)) continue;
        const info = await readInfo(key, full);
        if (info) yield info;
      }
    },
    async ping() {
      await mkdir(join(root, 'objects'), { recursive: true });
      return true;
    },
    async close() {},
  };
}
