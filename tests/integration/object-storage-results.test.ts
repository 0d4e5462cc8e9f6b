import { execFile, execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { isFinalStatus, redisKeys } from '@muscode/common';
import { createS3ObjectStore, ensureBucket } from '../../control-plane/src/infra/object-store/index.js';
import { newUser, type TestUser } from '../support/api.js';
import { startOwnRegion, type OwnRegion } from '../support/own-region.js';
import { startOwnRadosgw, storageEnv } from '../support/s3.js';
import { waitFor } from '../support/stack.js';
import { startGateway } from '../support/gateway.js';
import { WsClient } from '../support/ws.js';

// Results whose parts live in the object store, on control-planes of their own (own region,
// own agent): artifacts while the S3 server goes away and comes back, and a 20 MB stdout with
// the output limit raised by the operator.
const docker = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8' }).trim();
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A request straight to a region's own control-plane (no gateway in between). */
async function cp(
  region: OwnRegion,
  user: TestUser,
  method: string,
  path: string,
  opts: { body?: unknown; headers?: Record<string, string> } = {},
) {
  const res = await fetch(`${region.cpUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${user.token}`,
      ...(opts.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...opts.headers,
    },
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  return { res, bytes: Buffer.from(await res.arrayBuffer()) };
}

async function submit(region: OwnRegion, user: TestUser, body: Record<string, unknown>): Promise<string> {
  const sub = await cp(region, user, 'POST', '/execute', { body });
  expect(sub.res.status).toBe(200);
  return JSON.parse(sub.bytes.toString()).data.executionId as string;
}

async function resultOf(region: OwnRegion, user: TestUser, id: string, timeoutMs = 90_000) {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the API's JSON
  return waitFor<any>(
    `execution ${id}`,
    async () => {
      const r = await cp(region, user, 'GET', `/execute/${id}`);
      const data = JSON.parse(r.bytes.toString()).data;
      return isFinalStatus(data.status) ? data : undefined;
    },
    timeoutMs,
    100,
  );
}

async function run(region: OwnRegion, user: TestUser, body: Record<string, unknown>) {
  return resultOf(region, user, await submit(region, user, body));
}

const writer = `
import os
os.makedirs('/workspace/output', exist_ok=True)
open('/workspace/output/a.bin', 'wb').write(bytes(range(256)) * 64)
open('/workspace/output/b.csv', 'w').write('k,v\\n1,2\\n')
print('wrote')
`;
const aBytes = Buffer.concat(
  Array.from({ length: 64 }, () => Buffer.from(Array.from({ length: 256 }, (_, i) => i))),
);

describe('artifacts while the S3 server is restarted', () => {
  let name = '';
  let endpoint = '';
  let keys = { accessKeyId: '', secretAccessKey: '' };
  let rgw: Awaited<ReturnType<typeof startOwnRadosgw>> | undefined;
  let region: OwnRegion;
  let user: TestUser;

  beforeAll(async () => {
    inject('s3'); // the machine's server is up, so its image is built
    rgw = await startOwnRadosgw('artifacts');
    ({ name, endpoint, keys } = rgw);
    const opts = {
      endpoint,
      bucket: 'artifacts',
      region: 'us-east-1',
      forcePathStyle: true,
      prefix: '',
      ...keys,
    };
    await ensureBucket(opts);
    region = await startOwnRegion('artifacts-s3', {
      ...storageEnv(opts),
      CP_ARTIFACT_URL_SECRET: randomBytes(32).toString('hex'),
      CP_ARTIFACT_URL_TTL_SECONDS: '60',
    });
    region.startAgent('a');
    user = await newUser();
  });
  afterAll(async () => {
    await region?.stop();
    rgw?.remove();
  });

  it('down for the whole upload: the result lands, its artifacts marked missing', async () => {
    docker('kill', name);
    try {
      const result = await run(region, user, { language: 'python', code: writer });
      expect(result.status).toBe('completed');
      expect(result.output).toBe('wrote\n');
      expect(
        result.artifacts.files.map((f: { name: string; state: string; url: unknown }) => [
          f.name,
          f.state,
          f.url,
        ]),
      ).toEqual([
        ['a.bin', 'missing', null],
        ['b.csv', 'missing', null],
      ]);
    } finally {
      await promisify(execFile)('docker', ['start', name]);
    }
  });

  it('back while the upload is retried: the artifacts are stored byte for byte', async () => {
    await waitFor(
      'radosgw back',
      async () => ((await fetch(endpoint).catch(() => null))?.ok ? true : undefined),
      90_000,
      200,
    );
    docker('kill', name);
    const id = await submit(region, user, { language: 'python', code: writer });
    // Once the program ran, the first write is being retried: then the server comes back.
    await waitFor(
      'the run to start',
      async () => {
        const r = await cp(region, user, 'GET', `/execute/${id}`);
        return JSON.parse(r.bytes.toString()).data.status !== 'queued' ? true : undefined;
      },
      30_000,
      50,
    );
    await new Promise((r) => setTimeout(r, 2000));
    await promisify(execFile)('docker', ['start', name]);
    const result = await resultOf(region, user, id);
    expect(result.status).toBe('completed');
    const files = result.artifacts.files as { name: string; state: string; url: string; sha256: string }[];
    expect(files.map((f) => [f.name, f.state])).toEqual([
      ['a.bin', 'stored'],
      ['b.csv', 'stored'],
    ]);
    const got = await cp(region, user, 'GET', files[0]!.url.replace('/api/v1', ''));
    expect(got.res.status).toBe(200);
    expect(got.bytes.equals(aBytes)).toBe(true);
    expect(files[0]!.sha256).toBe(sha(aBytes));

    // The signed URL needs no token; a changed signature or expiry does not open it.
    const signed = (result.artifacts.files[0] as { signedUrl: string }).signedUrl;
    expect(signed).toMatch(/^\/api\/v1\/artifacts\/[0-9a-f-]{36}\?expires=\d+&signature=[0-9a-f]{64}$/);
    const base = region.cpUrl.replace('/api/v1', '');
    const open = await fetch(`${base}${signed}`);
    expect(open.status).toBe(200);
    expect(Buffer.from(await open.arrayBuffer()).equals(aBytes)).toBe(true);
    const tampered = signed.replace(/signature=(.)/, (_m, c: string) => `signature=${c === '0' ? '1' : '0'}`);
    expect((await fetch(`${base}${tampered}`)).status).toBe(404);
    const later = signed.replace(/expires=(\d+)/, (_m, e: string) => `expires=${Number(e) + 1}`);
    expect((await fetch(`${base}${later}`)).status).toBe(404);
  });
});

describe('a 20 MB stdout with the output limit raised', () => {
  let region: OwnRegion;
  let user: TestUser;
  const lines = 2_000_000;
  // "%09d\n" per line: 10 bytes each, 20,000,000 in all.
  const expected = Buffer.from(
    Array.from({ length: lines }, (_, i) => `${String(i).padStart(9, '0')}\n`).join(''),
  );

  beforeAll(async () => {
    region = await startOwnRegion('big-output', {
      ...storageEnv(inject('s3')),
      CP_MAX_OUTPUT_BYTES: String(32 * 1024 * 1024),
      CP_RPC_READ_MAX_BYTES: String(96 * 1024 * 1024),
      CP_STORAGE_OUTPUT_INLINE_BYTES: String(1024 * 1024),
    });
    region.startAgent('a');
    user = await newUser();
  });
  afterAll(async () => {
    await region?.stop();
  });

  it('is kept in the object store, read back whole (REST and WebSocket) and by range', async () => {
    const code = `
import sys
w = sys.stdout.write
for start in range(0, ${lines}, 100000):
    w(''.join('%09d\\n' % i for i in range(start, start + 100000)))
`;
    const result = await run(region, user, {
      language: 'python',
      code,
      outputLimit: 32 * 1024 * 1024,
      timeout: 30,
    });
    expect(result.status).toBe('completed');
    expect(result.outputTruncated).toBe(false);
    expect(result.output.length).toBe(expected.length);
    expect(sha(Buffer.from(result.output as string))).toBe(sha(expected));

    // The row keeps a reference, the bytes are in the store.
    const client = new pg.Client({ connectionString: inject('databaseUrl') });
    await client.connect();
    const row = (
      await client.query<{ stdout: Buffer | null; stdout_object_key: string; stdout_size: string }>(
        'SELECT stdout, stdout_object_key, stdout_size FROM executions WHERE id = $1',
        [result.executionId],
      )
    ).rows[0]!;
    await client.end();
    expect(row.stdout?.length ?? 0).toBe(0);
    expect(Number(row.stdout_size)).toBe(expected.length);
    const store = createS3ObjectStore(inject('s3'));
    expect((await store.head(row.stdout_object_key))?.size).toBe(expected.length);
    await store.close();

    const path = `/execute/${result.executionId}/output/stdout`;
    const whole = await cp(region, user, 'GET', path);
    expect(whole.res.status).toBe(200);
    expect(whole.res.headers.get('accept-ranges')).toBe('bytes');
    expect(sha(whole.bytes)).toBe(sha(expected));
    const mid = await cp(region, user, 'GET', path, { headers: { range: 'bytes=10000000-10000999' } });
    expect(mid.res.status).toBe(206);
    expect(mid.res.headers.get('content-range')).toBe(`bytes 10000000-10000999/${expected.length}`);
    expect(mid.bytes.toString()).toBe(expected.subarray(10_000_000, 10_001_000).toString());
    const tail = await cp(region, user, 'GET', path, { headers: { range: 'bytes=-25' } });
    expect(tail.res.status).toBe(206);
    expect(tail.bytes.equals(expected.subarray(expected.length - 25))).toBe(true);
    const past = await cp(region, user, 'GET', path, { headers: { range: `bytes=${expected.length}-` } });
    expect(past.res.status).toBe(416);
    expect(past.res.headers.get('content-range')).toBe(`bytes */${expected.length}`);
    // Another user: 404.
    const other = await newUser();
    expect((await cp(region, other, 'GET', path)).res.status).toBe(404);

    // The WebSocket result, asked for from just before it: its event is too large to carry the
    // execution, so the gateway reads it, whole, from the API. A gateway of its own whose
    // per-client buffer (GATEWAY_WS_MAX_BUFFERED_BYTES, 1 MiB) is raised with the output limit.
    const lastSeq = Number(
      await region.redis.hget(redisKeys(inject('redisPrefix')).report(result.executionId), 'seq'),
    );
    expect(lastSeq).toBeGreaterThan(1);
    const gw = await startGateway('gateway-big-output', {
      GATEWAY_WS_MAX_BUFFERED_BYTES: String(64 * 1024 * 1024),
    });
    const ws = await WsClient.connect(user.token, { base: gw.apiUrl });
    try {
      ws.send({ type: 'subscribe', executionId: result.executionId, fromSeq: lastSeq - 1 });
      const msg = await ws.result(result.executionId, 60_000);
      expect(msg['status']).toBe('completed');
      // Compared as digests: a failure must not print 20 MB.
      expect((msg['output'] as string).length).toBe(expected.length);
      expect(sha(Buffer.from(msg['output'] as string))).toBe(sha(expected));
    } finally {
      ws.close();
      await gw.proc.stop();
    }
  });
});
