import { randomBytes, createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, inject, it } from 'vitest';
import {
  createFsObjectStore,
  createS3ObjectStore,
  expireObjects,
  objectPrefix,
  type ObjectStore,
} from '../../control-plane/src/infra/object-store/index.js';
import { api, newUser } from '../support/api.js';

async function bytesOf(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** A way to put wrong bytes under a key behind the store's back. */
type Corrupt = (key: string, bytes: Buffer, claimedSha: string) => Promise<void>;

const stores: Array<[string, () => Promise<{ store: ObjectStore; corrupt: Corrupt }>]> = [
  [
    's3 (radosgw)',
    async () => {
      const s3 = inject('s3');
      const opts = { ...s3, prefix: `conformance-${randomBytes(3).toString('hex')}/` };
      const raw = new S3Client({
        endpoint: s3.endpoint,
        region: s3.region,
        forcePathStyle: true,
        credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
      });
      const corrupt: Corrupt = async (key, bytes, claimedSha) => {
        await raw.send(
          new PutObjectCommand({
            Bucket: s3.bucket,
            Key: `${opts.prefix}${key}`,
            Body: bytes,
            Metadata: { sha256: claimedSha },
          }),
        );
      };
      return { store: createS3ObjectStore(opts), corrupt };
    },
  ],
  [
    'fs',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'muscode-objects-'));
      dirs.push(dir);
      const corrupt: Corrupt = async (key, bytes) =>
        writeFile(join(dir, 'objects', ...key.split('/')), bytes);
      return { store: createFsObjectStore(dir), corrupt };
    },
  ],
];

describe.each(stores)('object store conformance: %s', (_name, make) => {
  it('round-trips 9+ MiB of arbitrary (non-UTF-8) bytes exactly, whole and by range, from a stream', async () => {
    const { store } = await make();
    const bytes = randomBytes(9 * 1024 * 1024 + 12345);
    bytes[0] = 0xff;
    bytes[1] = 0xfe; // never valid UTF-8
    const key = 'exec/abc/stdout';
    await store.put(key, Readable.from([bytes.subarray(0, 5_000_000), bytes.subarray(5_000_000)]), {
      size: bytes.length,
      contentType: 'application/octet-stream',
    });

    const whole = await store.get(key);
    expect(whole).not.toBeNull();
    const got = await bytesOf(whole!.body);
    expect(got.length).toBe(bytes.length);
    expect(sha(got)).toBe(sha(bytes));
    expect(whole!.sha256).toBe(sha(bytes));

    // A range in the middle: radosgw ignores Range starts, so this catches a store trusting it.
    const part = await store.get(key, { start: 7_000_001, end: 7_100_000 });
    expect(part!.range).toEqual({ start: 7_000_001, end: 7_100_000 });
    expect((await bytesOf(part!.body)).equals(bytes.subarray(7_000_001, 7_100_001))).toBe(true);
    const tail = await store.get(key, { start: bytes.length - 10 });
    expect((await bytesOf(tail!.body)).equals(bytes.subarray(bytes.length - 10))).toBe(true);

    const head = await store.head(key);
    expect(head).toMatchObject({
      key,
      size: bytes.length,
      contentType: 'application/octet-stream',
      sha256: sha(bytes),
    });
    await store.close();
  });

  it('lists by prefix, deletes, and answers null for missing keys', async () => {
    const { store } = await make();
    const put = (key: string, text: string) =>
      store.put(key, Buffer.from(text), { size: Buffer.byteLength(text), contentType: 'text/plain' });
    await put('p/1/a.txt', 'a');
    await put('p/1/dir/b.txt', 'bb');
    await put('p/2/c.txt', 'ccc');
    const listed: Array<[string, number]> = [];
    for await (const o of store.list('p/1/')) listed.push([o.key, o.size]);
    expect(listed.sort()).toEqual([
      ['p/1/a.txt', 1],
      ['p/1/dir/b.txt', 2],
    ]);
    await store.delete(['p/1/a.txt', 'p/1/dir/b.txt', 'p/1/never-was']);
    expect(await store.get('p/1/a.txt')).toBeNull();
    expect(await store.head('p/1/dir/b.txt')).toBeNull();
    const left: string[] = [];
    for await (const o of store.list('p/')) left.push(o.key);
    expect(left).toEqual(['p/2/c.txt']);
    expect(await store.ping()).toBe(true);
    await store.close();
  });

  it('refuses a declared size or sha256 that the bytes do not have', async () => {
    const { store } = await make();
    await expect(
      store.put('x/short', Buffer.from('abc'), { size: 4, contentType: 'text/plain' }),
    ).rejects.toThrow();
    await expect(
      store.put('x/sha', Buffer.from('abc'), {
        size: 3,
        contentType: 'text/plain',
        sha256: sha(Buffer.from('abd')),
      }),
    ).rejects.toThrow(/sha256/);
    expect(await store.head('x/short')).toBeNull();
    await store.close();
  });
});

describe.each(stores)('object lifecycle: %s', (_name, make) => {
  it('expiry removes execution objects written before the cutoff and nothing else', async () => {
    const { store } = await make();
    const put = (key: string) => store.put(key, Buffer.from('x'), { size: 1, contentType: 'text/plain' });
    const [a, b] = [objectPrefix.execution('e-1'), objectPrefix.execution('e-2')];
    await put(`${a}stdout`);
    await put(`${b}artifacts/plot.png`);
    await put(`${objectPrefix.project('p-1')}archive.zip`);
    // A cutoff before anything was written removes nothing.
    expect(await expireObjects(store, 'executions/', new Date(0))).toBe(0);
    // One after everything was written removes both executions' objects, not the project's.
    expect(await expireObjects(store, 'executions/', new Date(Date.now() + 60_000))).toBe(2);
    expect(await store.head(`${a}stdout`)).toBeNull();
    expect(await store.head(`${b}artifacts/plot.png`)).toBeNull();
    expect(await store.head(`${objectPrefix.project('p-1')}archive.zip`)).not.toBeNull();
    await store.close();
  });
});

describe('a deleted project', () => {
  it("loses its objects in the stack's store", async () => {
    const user = await newUser();
    const p = await api('POST', '/projects', {
      token: user.token,
      body: { name: 'Gone', language: 'python' },
    });
    const id = p.body.data.id as string;
    const store = createS3ObjectStore(inject('s3'));
    const key = `${objectPrefix.project(id)}archive.zip`;
    await store.put(key, Buffer.from('zip'), { size: 3, contentType: 'application/zip' });
    const other = `${objectPrefix.project(`${id}x`)}keep`;
    await store.put(other, Buffer.from('k'), { size: 1, contentType: 'text/plain' });
    expect((await api('DELETE', `/projects/${id}`, { token: user.token })).status).toBe(200);
    expect(await store.head(key)).toBeNull();
    expect(await store.head(other)).not.toBeNull();
    await store.close();
  });
});

describe('s3 store: wrong bytes from the server are an error', () => {
  it('a whole read whose bytes do not match the kept sha256 throws', async () => {
    const { store, corrupt } = await stores[0]![1]();
    const good = randomBytes(4096);
    await corrupt('bad/obj', randomBytes(4096), sha(good));
    await expect(store.get('bad/obj')).rejects.toThrow(/sha256/);
    await store.close();
  });
});
