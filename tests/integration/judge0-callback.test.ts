import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/stack.js';
import { judge0, userWithKey } from '../support/compat.js';

interface Received {
  method: string;
  headers: IncomingMessage['headers'];
  body: string;
  answered: number;
}

// A receiver on loopback (allowed by the test stack's CP_JUDGE0_CALLBACK_ALLOW): its first
// call to each path answers 500, later ones 204.
const received: Received[] = [];
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const first = !received.some((r) => r.headers['x-path'] === req.url);
    const answered = first && req.url?.includes('flaky') ? 500 : 204;
    received.push({
      method: req.method ?? '',
      headers: { ...req.headers, 'x-path': req.url },
      body: Buffer.concat(chunks).toString(),
      answered,
    });
    res.statusCode = answered;
    res.end();
  });
});
let base = '';

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('Judge0 callback_url', () => {
  it('PUTs the signed result, retrying after a 500', async () => {
    const u = await userWithKey();
    const created = await judge0('POST', '/submissions', u.key, {
      language_id: 71,
      source_code: 'print("called back")',
      callback_url: `${base}/flaky`,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const calls = await waitFor(
      'the retried callback',
      async () => {
        const mine = received.filter((r) => r.headers['x-path'] === '/flaky');
        return mine.length >= 2 ? mine : undefined;
      },
      60_000,
    );
    expect(calls.map((c) => c.answered)).toEqual([500, 204]);
    for (const c of calls) {
      expect(c.method).toBe('PUT');
      const expected = createHmac('sha256', 'test-callback-secret')
        .update(`${c.headers['x-muscode-timestamp']}.${c.body}`)
        .digest('hex');
      expect(c.headers['x-muscode-signature']).toBe(`sha256=${expected}`);
      expect(JSON.parse(c.body)).toMatchObject({
        token: created.body.token,
        // Judge0 always sends its callbacks base64-encoded (Ruby's encode64, newline-ended).
        stdout: 'Y2FsbGVkIGJhY2sK\n',
        status: { id: 3, description: 'Accepted' },
      });
    }
  });

  it('refuses private, loopback and link-local targets that are not allowed', async () => {
    const u = await userWithKey();
    for (const url of [
      'http://127.0.0.2:8080/x',
      'http://127.1.0.1:8080/x',
      'http://10.1.2.3/x',
      'http://192.168.0.1/x',
      'http://169.254.169.254/latest/meta-data',
      'http://[::1]/x',
      'http://[::ffff:127.0.0.2]/x',
      'http://0.0.0.0/x',
      'file:///etc/passwd',
      'http://user:pw@example.com/x',
    ]) {
      const r = await judge0('POST', '/submissions', u.key, {
        language_id: 71,
        source_code: 'print(1)',
        callback_url: url,
      });
      expect(r.status, url).toBe(422);
      expect(r.body.callback_url, url).toEqual([expect.any(String)]);
    }
  });
});
