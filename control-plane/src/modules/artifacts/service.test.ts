import { createHash } from 'node:crypto';
import { createLogger } from '@muscode/common';
import { describe, expect, it } from 'vitest';
import type { ObjectStore } from '../../infra/object-store/index.js';
import type { ArtifactRepo } from './repo.js';
import { createArtifactService } from './service.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const log = createLogger('test', 'silent');

/**
 * The assembler's rules against stand-ins of the repo and the store that log what they were
 * asked (the real writes, quota and store are covered by tests/integration/artifacts.test.ts).
 */
function harness(opts: { putFails?: boolean; overQuota?: boolean; existing?: string[] } = {}) {
  const calls: string[] = [];
  const puts: { key: string; body: Buffer }[] = [];
  const repo = {
    async exists(_e: string, name: string) {
      return (opts.existing ?? []).includes(name);
    },
    async insert(a: { name: string; contentType: string }) {
      calls.push(`insert ${a.name} ${a.contentType}`);
      return { state: opts.overQuota ? 'over_quota' : 'stored', userId: 'u' };
    },
    async markMissing() {
      calls.push('missing');
    },
    async setSkipped(_e: string, s: { count: number }) {
      calls.push(`skipped ${s.count}`);
    },
  } as unknown as ArtifactRepo;
  const store = {
    async put(key: string, body: Buffer) {
      calls.push('put');
      if (opts.putFails) throw new Error('store down');
      puts.push({ key, body });
    },
  } as unknown as ObjectStore;
  const assembler = createArtifactService({ repo, store, log }).assembler(log);
  return { calls, puts, assembler };
}

const file = Buffer.from([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10, 1, 2, 3]);
const chunk = (offset: number, data: Buffer, name = 'p.png', whole = file) => ({
  name,
  size: whole.length,
  sha256: sha(whole),
  offset,
  data,
});

describe('artifact assembler', () => {
  it('puts a file together from its chunks and stores it once whole', async () => {
    const h = harness();
    await h.assembler.chunk('e', chunk(0, file.subarray(0, 5)));
    expect(h.calls).toEqual([]);
    await h.assembler.chunk('e', chunk(5, file.subarray(5)));
    expect(h.calls).toEqual(['insert p.png image/png', 'put']);
    expect(h.puts[0]!.key).toMatch(/^executions\/e\/artifacts\/[0-9a-f-]{36}$/);
    expect(h.puts[0]!.body.equals(file)).toBe(true);
  });

  it('stores an empty file from its one empty chunk', async () => {
    const h = harness();
    await h.assembler.chunk('e', chunk(0, Buffer.alloc(0), 'empty.txt', Buffer.alloc(0)));
    expect(h.calls).toEqual(['insert empty.txt text/plain', 'put']);
  });

  it('refuses chunks out of order, and drops a file whose bytes do not match its sha256', async () => {
    const h = harness();
    await expect(h.assembler.chunk('e', chunk(5, file.subarray(5)))).rejects.toThrow(/out of order/);
    const bad = { ...chunk(0, file), sha256: sha(Buffer.from('other')) };
    await h.assembler.chunk('e', bad);
    expect(h.calls).toEqual([]);
  });

  it('a name already recorded (a report sent again) is not stored twice', async () => {
    const h = harness({ existing: ['p.png'] });
    await h.assembler.chunk('e', chunk(0, file));
    expect(h.calls).toEqual([]);
  });

  it('over the quota: recorded, never written', async () => {
    const h = harness({ overQuota: true });
    await h.assembler.chunk('e', chunk(0, file));
    expect(h.calls).toEqual(['insert p.png image/png']);
  });

  it('a failed write marks the file missing, and the next files are not tried again', async () => {
    const h = harness({ putFails: true });
    await h.assembler.chunk('e', chunk(0, file));
    await h.assembler.chunk('e', chunk(0, file, 'q.png'));
    expect(h.calls).toEqual([
      'insert p.png image/png',
      'put',
      'missing',
      'insert q.png image/png',
      'missing',
    ]);
  });
});

describe('artifacts left out', () => {
  it('are recorded when there are any, and cost no write when there are none', async () => {
    const h = harness();
    await h.assembler.end('e', { entries: [], count: 0 });
    expect(h.calls).toEqual([]);
    await h.assembler.end('e', { entries: [{ name: 'x', reason: 'symlink' }], count: 1 });
    expect(h.calls).toEqual(['skipped 1']);
  });
});

describe('signed download URLs', () => {
  const row = {
    id: 'a1',
    execution_id: 'e',
    name: 'p.png',
    size_bytes: 3,
    content_type: 'image/png',
    sha256: 'x',
    object_key: 'executions/e/artifacts/a1',
    state: 'stored',
    created_at: 0,
  };
  let clock = 1_000_000_000_000;
  const service = (signing?: { secret: string; ttlSeconds: number }) =>
    createArtifactService({
      repo: {
        findById: async () => row,
        listOf: async () => ({ rows: [row], skipped: null }),
      } as unknown as ArtifactRepo,
      store: { get: async () => ({ body: 'bytes' }) } as unknown as ObjectStore,
      log,
      now: () => clock,
      ...(signing ? { signing } : {}),
    });
  const parse = (url: string) => {
    const u = new URL(url, 'http://x');
    return [Number(u.searchParams.get('expires')), u.searchParams.get('signature')!] as const;
  };

  it('opens for its artifact until it expires, and not with another signature, artifact or key', async () => {
    const s = service({ secret: 'k'.repeat(32), ttlSeconds: 60 });
    const url = (await s.list('e'))!.files[0]!.signedUrl!;
    const [expires, sig] = parse(url);
    expect((await s.downloadSigned('a1', expires, sig)).row).toBe(row);
    await expect(s.downloadSigned('a2', expires, sig)).rejects.toThrow(/not found/);
    await expect(s.downloadSigned('a1', expires + 1, sig)).rejects.toThrow(/not found/);
    await expect(s.downloadSigned('a1', expires, 'f'.repeat(64))).rejects.toThrow(/not found/);
    await expect(s.downloadSigned('a1', expires, 'short')).rejects.toThrow(/not found/);
    const other = service({ secret: 'o'.repeat(32), ttlSeconds: 60 });
    await expect(other.downloadSigned('a1', expires, sig)).rejects.toThrow(/not found/);
    clock += 61_000;
    await expect(s.downloadSigned('a1', expires, sig)).rejects.toThrow(/not found/);
  });

  it('are not made, and none is accepted, without a key', async () => {
    const s = service();
    expect((await s.list('e'))!.files[0]!.signedUrl).toBeUndefined();
    await expect(s.downloadSigned('a1', 9_999_999_999, 'f'.repeat(64))).rejects.toThrow(/not found/);
  });
});
