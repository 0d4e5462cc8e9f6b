import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createS3ObjectStore, ensureBucket } from '../../control-plane/src/infra/object-store/index.js';
import { startOwnRadosgw } from '../support/s3.js';

const docker = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8' }).trim();
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * A radosgw of this test's own (the machine's is shared by every stack, so it is not the one
 * restarted), on a free port with a scratch data directory.
 */
describe('the S3 server restarted while an object is written', () => {
  let name = '';
  let endpoint = '';
  let keys = { accessKeyId: '', secretAccessKey: '' };
  let rgw: Awaited<ReturnType<typeof startOwnRadosgw>> | undefined;

  beforeAll(async () => {
    inject('s3'); // the machine's server is up, so its image is built
    rgw = await startOwnRadosgw('restart');
    ({ name, endpoint, keys } = rgw);
  });
  afterAll(() => rgw?.remove());

  it('the write is retried and lands byte for byte', async () => {
    const opts = {
      endpoint,
      bucket: 'restart',
      region: 'us-east-1',
      forcePathStyle: true,
      prefix: '',
      ...keys,
    };
    await ensureBucket(opts);
    const store = createS3ObjectStore(opts);
    const bytes = randomBytes(9 * 1024 * 1024);
    // The server goes away (an upload to it is refused), then comes back while the store is
    // still trying: the first attempt cannot succeed, so only a retry makes the write land.
    docker('kill', name);
    const put = store.put('executions/x/stdout', bytes, {
      size: bytes.length,
      contentType: 'application/octet-stream',
    });
    await promisify(execFile)('docker', ['start', name]);
    await put;
    const got = await store.get('executions/x/stdout');
    const chunks: Buffer[] = [];
    for await (const c of got!.body) chunks.push(c as Buffer);
    expect(sha(Buffer.concat(chunks))).toBe(sha(bytes));
    await store.close();
  });
});
