import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { ensureBucket, type S3StoreOptions } from '../../control-plane/src/infra/object-store/index.js';
import { freePort, root, waitFor } from './stack.js';

const s3Dir = process.env['MUSCODE_S3_DIR'] ?? '/var/lib/muscode-radosgw';
const s3Port = process.env['MUSCODE_S3_PORT'] ?? '7480';

/**
 * The machine's radosgw (deploy/local/radosgw.sh: started if it is not running, fast when it
 * is) and a bucket of this test run's own in it. TEST_S3_* point the suite at another server.
 */
export async function testS3(bucket: string): Promise<S3StoreOptions> {
  let endpoint = process.env['TEST_S3_ENDPOINT'];
  let accessKeyId = process.env['TEST_S3_ACCESS_KEY'];
  let secretAccessKey = process.env['TEST_S3_SECRET_KEY'];
  if (!endpoint) {
    execFileSync('bash', [`${root}/deploy/local/radosgw.sh`], { stdio: ['ignore', 'ignore', 'inherit'] });
    const creds = Object.fromEntries(
      readFileSync(`${s3Dir}/credentials`, 'utf8')
        .split('\n')
        .filter((l) => l.includes('='))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    endpoint = `http://127.0.0.1:${s3Port}`;
    accessKeyId = creds['MUSCODE_S3_ACCESS_KEY'];
    secretAccessKey = creds['MUSCODE_S3_SECRET_KEY'];
  }
  if (!accessKeyId || !secretAccessKey) throw new Error('no S3 keys for the test stack');
  const opts = {
    endpoint,
    bucket,
    region: 'us-east-1',
    accessKeyId,
    secretAccessKey,
    forcePathStyle: true,
    prefix: '',
  };
  await ensureBucket(opts);
  return opts;
}

/** Empties and removes a test run's bucket. */
export async function dropBucket(opts: S3StoreOptions): Promise<void> {
  const client = new S3Client({
    endpoint: opts.endpoint,
    region: opts.region,
    forcePathStyle: true,
    credentials: { accessKeyId: opts.accessKeyId, secretAccessKey: opts.secretAccessKey },
  });
  try {
    for (;;) {
      const page = await client.send(new ListObjectsV2Command({ Bucket: opts.bucket }));
      const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key! }));
      if (keys.length === 0) break;
      await client.send(
        new DeleteObjectsCommand({ Bucket: opts.bucket, Delete: { Objects: keys, Quiet: true } }),
      );
    }
    await client.send(new DeleteBucketCommand({ Bucket: opts.bucket }));
  } finally {
    client.destroy();
  }
}

/** The control-plane's CP_STORAGE_* settings for a store. */
export function storageEnv(opts: S3StoreOptions): Record<string, string> {
  return {
    CP_STORAGE_ENDPOINT: opts.endpoint,
    CP_STORAGE_BUCKET: opts.bucket,
    CP_STORAGE_REGION: opts.region,
    CP_STORAGE_ACCESS_KEY: opts.accessKeyId,
    CP_STORAGE_SECRET_KEY: opts.secretAccessKey,
    CP_STORAGE_FORCE_PATH_STYLE: 'true',
  };
}

/**
 * A radosgw of one test file's own (the machine's is shared by every stack, so a test that
 * stops or kills the server needs its own): the muscode/radosgw image on a free port, a scratch
 * data directory, fresh keys. `remove()` ends it and deletes the directory.
 */
export async function startOwnRadosgw(tag: string): Promise<{
  name: string;
  endpoint: string;
  keys: { accessKeyId: string; secretAccessKey: string };
  remove(): void;
}> {
  const name = `muscode-radosgw-${tag}-${randomBytes(3).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'muscode-rgw-'));
  const keys = {
    accessKeyId: `${tag.replace(/[^a-z0-9]/g, '')}key1`,
    secretAccessKey: randomBytes(16).toString('hex'),
  };
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const remove = () => {
    execFileSync('docker', ['rm', '-f', name], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  };
  execFileSync('docker', [
    'run',
    '-d',
    '--name',
    name,
    '--network',
    'host',
    '-e',
    `RGW_PORT=${port}`,
    '-e',
    `RGW_ACCESS_KEY=${keys.accessKeyId}`,
    '-e',
    `RGW_SECRET_KEY=${keys.secretAccessKey}`,
    '-v',
    `${dir}:/var/lib/ceph/radosgw`,
    'muscode/radosgw:latest',
  ]);
  // A loaded machine can take a while to start it; its log says why if it never answers.
  await waitFor(
    'radosgw',
    async () => ((await fetch(endpoint).catch(() => null))?.ok ? true : undefined),
    90_000,
    200,
  ).catch((err: unknown) => {
    process.stderr.write(execFileSync('docker', ['logs', '--tail', '30', name], { encoding: 'utf8' }));
    remove();
    throw err;
  });
  return { name, endpoint, keys, remove };
}
