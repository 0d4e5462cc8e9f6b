import { createHash } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createLogger } from '@muscode/common';
import { createS3ObjectStore } from '../../control-plane/src/infra/object-store/index.js';
import { createDb } from '../../control-plane/src/infra/db.js';
import {
  createArtifactRepo,
  createArtifactService,
} from '../../control-plane/src/modules/artifacts/index.js';
import { api, apiUrl, execute, newUser, waitForResult, type TestUser } from '../support/api.js';

// Artifacts end to end on the test stack (real agent under runsc, real radosgw): what a
// program leaves in /workspace/output comes back with its result, is downloadable by its owner
// only, counts against the owner's storage quota, and expires with the retention sweep.
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

// A PNG signature and every byte value (not UTF-8), and a CSV.
const pngBytes = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  ...Array.from({ length: 40 }, () => Buffer.from(Array.from({ length: 256 }, (_, i) => i))),
]);
const csv = 'x,y\n1,2\n3,4\n';
const writer = `
import os
os.makedirs('/workspace/output/plots', exist_ok=True)
open('/workspace/output/plots/plot.png', 'wb').write(bytes([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10]) + bytes(range(256)) * 40)
open('/workspace/output/table.csv', 'w').write(${JSON.stringify(csv)})
print('wrote')
`;

async function download(user: TestUser, path: string) {
  const res = await fetch(`${apiUrl()}${path}`, { headers: { authorization: `Bearer ${user.token}` } });
  return { res, bytes: Buffer.from(await res.arrayBuffer()) };
}

async function sqlQuery<T extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<T[]> {
  const client = new pg.Client({ connectionString: inject('databaseUrl') });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

const storageUsed = async (user: TestUser) =>
  (await api('GET', '/stats', { token: user.token })).body.data.storageUsedBytes as number;

describe('artifacts', () => {
  const owner = { user: undefined as TestUser | undefined, executionId: '' };

  it('a python program writes a PNG and a CSV: both listed with the result and downloaded byte for byte', async () => {
    const user = await newUser();
    owner.user = user;
    const before = await storageUsed(user);
    const result = await execute(user.token, { language: 'python', code: writer });
    owner.executionId = result.executionId;
    expect(result.status).toBe('completed');
    expect(result.output).toBe('wrote\n');
    const a = result.artifacts;
    expect(a.skipped).toEqual([]);
    expect(a.skippedCount).toBe(0);
    expect(a.storageQuotaExceeded).toBe(false);
    expect(
      a.files.map((f: Record<string, unknown>) => [f.name, f.size, f.contentType, f.sha256, f.state]),
    ).toEqual([
      ['plots/plot.png', pngBytes.length, 'image/png', sha(pngBytes), 'stored'],
      ['table.csv', csv.length, 'text/csv', sha(Buffer.from(csv)), 'stored'],
    ]);

    // The list on its own says the same.
    const listed = await api('GET', `/execute/${result.executionId}/artifacts`, { token: user.token });
    expect(listed.status).toBe(200);
    expect(listed.body.data.artifacts).toEqual(a);

    const png = await download(user, a.files[0].url.replace('/api/v1', ''));
    expect(png.res.status).toBe(200);
    expect(png.bytes.equals(pngBytes)).toBe(true);
    expect(png.res.headers.get('content-type')).toBe('image/png');
    expect(png.res.headers.get('content-length')).toBe(String(pngBytes.length));
    expect(png.res.headers.get('content-disposition')).toBe(
      `attachment; filename="plot.png"; filename*=UTF-8''plot.png`,
    );
    expect(png.res.headers.get('x-content-type-options')).toBe('nosniff');
    const table = await download(user, a.files[1].url.replace('/api/v1', ''));
    expect(table.res.status).toBe(200);
    expect(table.bytes.toString()).toBe(csv);
    expect(table.res.headers.get('content-type')).toBe('text/csv');

    // Stored bytes count against the owner's storage quota.
    expect(await storageUsed(user)).toBe(before + pngBytes.length + csv.length);

    // `?wait=true` answers with the result event's execution, which lists them too.
    const waited = await api('POST', '/execute?wait=true', {
      token: user.token,
      body: { language: 'python', code: writer },
    });
    expect(waited.status).toBe(200);
    expect(waited.body.data.artifacts.files.map((f: { name: string }) => f.name)).toEqual([
      'plots/plot.png',
      'table.csv',
    ]);
  });

  it("another user's artifact URL and list answer 404", async () => {
    const other = await newUser();
    const { user, executionId } = owner;
    const own = await api('GET', `/execute/${executionId}/artifacts`, { token: user!.token });
    const url = (own.body.data.artifacts.files[0].url as string).replace('/api/v1', '');
    const theirs = await download(other, url);
    expect(theirs.res.status).toBe(404);
    expect(JSON.parse(theirs.bytes.toString()).error.code).toBe('not_found');
    expect((await api('GET', `/execute/${executionId}/artifacts`, { token: other.token })).status).toBe(404);
    // Without a token: 401; an artifact id that is not one: 404.
    expect((await fetch(`${apiUrl()}${url}`)).status).toBe(401);
    const bogus = await download(user!, `/execute/${executionId}/artifacts/not-an-id`);
    expect(bogus.res.status).toBe(404);
  });

  it('10,000 files: the first 100 are kept, the rest flagged count_limit, the verdict its own', async () => {
    const user = await newUser();
    const submitted = await api('POST', '/execute', {
      token: user.token,
      body: {
        language: 'python',
        code: `
import os, sys
os.makedirs('/workspace/output', exist_ok=True)
for i in range(10000):
    open('/workspace/output/f%05d.txt' % i, 'w').write(str(i))
sys.exit(3)
`,
        // Ten thousand file creations under gVisor can pass the default 5 s of CPU on a busy
        // machine (a cpu_limit verdict in one clean-clone run); the test is about the count.
        timeout: 20,
        cpuTime: 20,
      },
    });
    const result = await waitForResult(user.token, submitted.body.data.executionId, 60_000);
    expect(result.status).toBe('runtime_error');
    expect(result.exitCode).toBe(3);
    const a = result.artifacts;
    expect(a.files).toHaveLength(100);
    expect(a.files.every((f: { state: string }) => f.state === 'stored')).toBe(true);
    expect(a.skippedCount).toBe(9900);
    expect(a.skipped.length).toBeGreaterThan(0);
    expect(a.skipped.every((s: { reason: string }) => s.reason === 'count_limit')).toBe(true);
  });

  it('a file over the per-file limit is flagged too_large, the others kept', async () => {
    const user = await newUser();
    const result = await execute(user.token, {
      language: 'python',
      code: `
import os
os.makedirs('/workspace/output', exist_ok=True)
open('/workspace/output/big.bin', 'wb').write(b'z' * (9 * 1024 * 1024))
open('/workspace/output/small.txt', 'w').write('ok')
`,
    });
    expect(result.status).toBe('completed');
    expect(result.artifacts.files.map((f: { name: string }) => f.name)).toEqual(['small.txt']);
    expect(result.artifacts.skipped).toEqual([{ name: 'big.bin', reason: 'too_large' }]);
  });

  it('past the storage quota the artifacts are not stored and the result says so; the run is not failed', async () => {
    const user = await newUser();
    await sqlQuery('UPDATE user_quotas SET max_storage_mb = 0 WHERE user_id = $1', [user.userId]);
    const result = await execute(user.token, { language: 'python', code: writer });
    expect(result.status).toBe('completed');
    expect(result.artifacts.storageQuotaExceeded).toBe(true);
    expect(result.artifacts.files.map((f: { state: string; url: unknown }) => [f.state, f.url])).toEqual([
      ['over_quota', null],
      ['over_quota', null],
    ]);
    expect(await storageUsed(user)).toBe(0);
    const id = result.artifacts.files[0].id as string;
    expect((await download(user, `/execute/${result.executionId}/artifacts/${id}`)).res.status).toBe(404);
  });

  describe('retention', () => {
    const log = createLogger('test', 'silent');
    const store = createS3ObjectStore(inject('s3'));
    afterAll(() => store.close());

    it('the retention sweep expires artifacts: gone from the store, marked expired, quota given back', async () => {
      const user = await newUser();
      const result = await execute(user.token, { language: 'python', code: writer });
      const keys = await sqlQuery<{ object_key: string }>(
        'SELECT object_key FROM execution_artifacts WHERE execution_id = $1',
        [result.executionId],
      );
      expect(keys).toHaveLength(2);
      for (const k of keys) expect(await store.head(k.object_key)).not.toBeNull();
      expect(await storageUsed(user)).toBe(pngBytes.length + csv.length);

      // Written "two days ago", then the control-plane's sweep with a one-day retention.
      await sqlQuery(
        `UPDATE execution_artifacts SET created_at = now() - interval '2 days' WHERE execution_id = $1`,
        [result.executionId],
      );
      const db = await createDb(inject('databaseUrl'), 2);
      try {
        const artifacts = createArtifactService({ repo: createArtifactRepo(db), store, log });
        expect(await artifacts.expire(new Date(Date.now() - 24 * 3600 * 1000))).toBeGreaterThanOrEqual(2);
      } finally {
        await db.end();
      }

      for (const k of keys) expect(await store.head(k.object_key)).toBeNull();
      const listed = await api('GET', `/execute/${result.executionId}/artifacts`, { token: user.token });
      expect(
        listed.body.data.artifacts.files.map((f: { state: string; url: unknown }) => [f.state, f.url]),
      ).toEqual([
        ['expired', null],
        ['expired', null],
      ]);
      const id = listed.body.data.artifacts.files[0].id as string;
      expect((await download(user, `/execute/${result.executionId}/artifacts/${id}`)).res.status).toBe(404);
      expect(await storageUsed(user)).toBe(0);
    });
  });
});
