import { execFile } from 'node:child_process';
import net from 'node:net';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { apiUrl, newUser } from '../support/api.js';
import { startGateway } from '../support/gateway.js';
import { freePort, type Proc } from '../support/stack.js';
import { WsClient, wsExecute } from '../support/ws.js';

const run = promisify(execFile);
const gateway = () => new URL(apiUrl());
const procs: Proc[] = [];
afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop()));
});

/** Sends raw bytes and reads until the server closes or one whole answer (by Content-Length) came. */
function raw(
  request: string,
  port = Number(gateway().port),
): Promise<{ status: number; head: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    const finish = () => {
      socket.destroy();
      const [head = '', body = ''] = data.split('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), head: head.toLowerCase(), body });
    };
    socket.on('data', (d) => {
      data += d.toString();
      const [head, body] = data.split('\r\n\r\n');
      const length = /content-length: (\d+)/i.exec(head ?? '')?.[1];
      if (body !== undefined && length !== undefined && Buffer.byteLength(body) >= Number(length)) finish();
    });
    socket.on('end', finish);
    socket.on('error', reject);
    socket.write(request);
  });
}

describe('edge parsing', () => {
  it('refuses dot segments and backslashes before they reach the control-plane', async () => {
    for (const path of ['/api/v1/%2e%2e/%2e%2e/metrics', '/api/v1/../../metrics', '/api/v1/auth%5c..%5cme']) {
      const r = await raw(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
      expect([path, r.status]).toEqual([path, 400]);
      expect(JSON.parse(r.body).error.code).toBe('invalid_path');
    }
  });

  it('refuses two different Content-Lengths and unknown transfer codings (smuggling)', async () => {
    const twoLengths = await raw(
      'POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nabcde',
    );
    expect(twoLengths.status).toBe(400);
    expect(JSON.parse(twoLengths.body).error.code).toBe('invalid_content_length');
    const xchunked = await raw(
      'POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
    );
    expect(xchunked.status).toBe(400);
    expect(JSON.parse(xchunked.body).error.code).toBe('invalid_transfer_encoding');
  });

  it('answers CONNECT and TRACE with 405 and Allow', async () => {
    for (const method of ['CONNECT', 'TRACE']) {
      const r = await raw(`${method} /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n`);
      expect([method, r.status]).toEqual([method, 405]);
      expect(r.head).toContain('allow: get, head, post, put, patch, delete, options');
    }
  });

  it('answers a 20 KB Authorization header with 431 in the envelope', async () => {
    const r = await raw(
      `GET /api/v1/auth/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${'x'.repeat(20_000)}\r\n\r\n`,
    );
    expect(r.status).toBe(431);
    expect(JSON.parse(r.body).error.code).toBe('headers_too_large');
  });
});

describe('edge answers', () => {
  it('a 401 says how to authenticate, is not cached and not sniffed', async () => {
    const r = await fetch(`${apiUrl()}/auth/me`, { headers: { authorization: 'Bearer nope' } });
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toMatch(/^Bearer realm="muscode", error="invalid_token"/);
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    const user = await newUser();
    const me = await fetch(`${apiUrl()}/auth/me`, { headers: { authorization: `Bearer ${user.token}` } });
    expect(me.headers.get('cache-control')).toBe('no-store');
  });

  it('a client that sends its whole 12 MB body before reading gets the 413 (python urllib)', async () => {
    const script = `
import json, sys, urllib.request, urllib.error
req = urllib.request.Request(sys.argv[1], data=b'{"x":"' + b'a' * (12 * 1024 * 1024) + b'"}',
                             headers={'content-type': 'application/json'}, method='POST')
try:
    urllib.request.urlopen(req)
    print('no error')
except urllib.error.HTTPError as e:
    print(e.code, json.loads(e.read())['error']['code'])
`;
    const { stdout } = await run('python3', ['-c', script, `${apiUrl()}/auth/login`]);
    expect(stdout.trim()).toBe('413 payload_too_large');
  });

  it('answers 503 with Retry-After while the control-plane is down', async () => {
    const dead = await freePort();
    const g = await startGateway('gateway-no-cp', { GATEWAY_CONTROL_PLANE_URL: `http://127.0.0.1:${dead}` });
    procs.push(g.proc);
    const r = await fetch(`${g.apiUrl}/languages`);
    expect(r.status).toBe(503);
    expect(r.headers.get('retry-after')).toBe('5');
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('unavailable');
  });
});

describe('WebSocket control stream', () => {
  it('takes stdin only for an interactive execution, and only within its stdin limit', async () => {
    const user = await newUser();
    const ws = await WsClient.connect(user.token);
    const plain = await wsExecute(ws, { language: 'python', code: 'print(1)\n' });
    ws.send({ type: 'stdin', executionId: plain, data: 'x' });
    const refused = await ws.next((m) => m.type === 'error' && m.executionId === plain);
    expect(refused['code']).toBe('stdin_not_accepted');

    const interactive = await wsExecute(ws, {
      language: 'python',
      code: 'import sys\nsys.stdin.read()\n',
      interactive: true,
      limits: { timeout: 10 },
    });
    // Two messages of 700 KB each: each fits a frame, together they pass the 1 MiB stdin limit.
    const chunk = Buffer.alloc(700 * 1024, 1).toString('base64');
    ws.send({ type: 'stdin', executionId: interactive, data: chunk, encoding: 'base64' });
    ws.send({ type: 'stdin', executionId: interactive, data: chunk, encoding: 'base64' });
    const over = await ws.next((m) => m.type === 'error' && m.executionId === interactive);
    expect(over['code']).toBe('stdin_limit');
    ws.send({ type: 'cancel', executionId: interactive });
    ws.close();
  });

  it('caps the connections one user holds on a gateway', async () => {
    const g = await startGateway('gateway-socket-cap', { GATEWAY_WS_MAX_SOCKETS_PER_USER: '2' });
    procs.push(g.proc);
    const user = await newUser();
    const base = g.apiUrl;
    const [a, b] = [
      await WsClient.connect(user.token, { base }),
      await WsClient.connect(user.token, { base }),
    ];
    const c = await WsClient.connect(user.token, { base });
    expect((await c.closed).code).toBe(4029);
    a.close();
    await a.closed;
    // A slot freed by a close can be used again.
    const d = await WsClient.connect(user.token, { base });
    d.send({ type: 'ping' });
    expect((await d.next((m) => m.type === 'pong')).type).toBe('pong');
    b.close();
    d.close();
  });
});
