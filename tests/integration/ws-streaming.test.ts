import { describe, expect, it } from 'vitest';
import { api, newUser } from '../support/api.js';
import { WsClient, wsExecute } from '../support/ws.js';

const ticker = (lines: number) =>
  `import time\nfor i in range(${lines}):\n    print('line', i, flush=True)\n    time.sleep(0.1)\n`;
const expected = (lines: number) => Array.from({ length: lines }, (_, i) => `line ${i}\n`).join('');

describe('WebSocket /api/v1/ws', () => {
  it('streams a program line by line before it ends, then its result', async () => {
    const user = await newUser();
    const ws = await WsClient.connect(user.token);
    const id = await wsExecute(ws, { language: 'python', code: ticker(10) });
    const result = await ws.result(id);
    const outputs = ws.outputs(id);

    expect(ws.bytes(id).toString()).toBe(expected(10));
    // Line by line: the lines came as many separate messages, all before the result.
    expect(outputs.length).toBeGreaterThanOrEqual(5);
    expect(ws.messages.indexOf(outputs.at(-1)!)).toBeLessThan(ws.messages.indexOf(result));
    const seqs = ws.messages.filter((m) => m.executionId === id && m.seq > 0).map((m) => m.seq as number);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(
      ws.messages.some((m) => m.type === 'status' && m.executionId === id && m.status === 'running'),
    ).toBe(true);
    // The result carries the same fields as GET /execute/{id}.
    const rest = await api('GET', `/execute/${id}`, { token: user.token });
    const { type, seq, receivedAt, ...fields } = result;
    expect(type).toBe('result');
    expect(seq).toBeGreaterThan(0);
    expect(receivedAt).toBeGreaterThan(0);
    expect(fields).toEqual(rest.body.data);
    expect(fields['status']).toBe('completed');
    ws.close();
  });

  it('accepts the token in Sec-WebSocket-Protocol and answers ping with pong', async () => {
    const user = await newUser();
    const ws = await WsClient.connect(user.token, { via: 'protocol' });
    expect(ws.socket.protocol).toBe('bearer');
    ws.send({ type: 'ping' });
    await ws.next((m) => m.type === 'pong');
    ws.close();
  });

  it('closes with 4001 and a reason for a missing or bad token', async () => {
    const none = await WsClient.connect(null);
    expect(await none.closed).toEqual({ code: 4001, reason: 'access token required' });
    const user = await newUser();
    const forged = `${user.token.slice(0, -4)}AAAA`;
    const bad = await WsClient.connect(forged);
    expect(await bad.closed).toEqual({ code: 4001, reason: 'invalid access token' });
  });

  it('refuses an access token revoked by logout', async () => {
    const user = await newUser();
    const before = await WsClient.connect(user.token);
    before.send({ type: 'ping' });
    await before.next((m) => m.type === 'pong');
    before.close();
    expect((await api('POST', '/auth/logout', { token: user.token })).status).toBe(200);
    const after = await WsClient.connect(user.token);
    expect(await after.closed).toEqual({ code: 4001, reason: 'invalid access token' });
  });

  it('answers malformed messages with an error and keeps the connection', async () => {
    const user = await newUser();
    const ws = await WsClient.connect(user.token);
    ws.socket.send('not json');
    expect((await ws.next((m) => m.type === 'error')).code).toBe('invalid_message');
    ws.send({ type: 'subscribe' });
    expect((await ws.next((m) => m.type === 'error', 10_000, 1)).code).toBe('invalid_message');
    ws.send({ type: 'execute', language: 'cobol-77', code: 'x', requestId: 'r1' });
    const err = await ws.next((m) => m.type === 'error' && m.requestId === 'r1');
    expect(err.code).toBe('unsupported_language');
    ws.send({ type: 'ping' });
    await ws.next((m) => m.type === 'pong');
    ws.close();
  });

  it('lets only the owner subscribe, send stdin or cancel', async () => {
    const owner = await newUser();
    const other = await newUser();
    const a = await WsClient.connect(owner.token);
    const id = await wsExecute(a, { language: 'python', code: ticker(5) });
    const b = await WsClient.connect(other.token);
    for (const msg of [
      { type: 'subscribe', executionId: id },
      { type: 'stdin', executionId: id, data: 'x\n' },
      { type: 'cancel', executionId: id },
    ]) {
      const before = b.messages.length;
      b.send(msg);
      const err = await b.next((m) => m.type === 'error', 10_000, before);
      expect(err).toMatchObject({ code: 'not_found', executionId: id });
    }
    // Same answer as for an id that does not exist at all: others learn nothing.
    const before = b.messages.length;
    b.send({ type: 'subscribe', executionId: '00000000-0000-4000-8000-000000000000' });
    expect((await b.next((m) => m.type === 'error', 10_000, before)).code).toBe('not_found');

    const result = await a.result(id);
    expect(result['status']).toBe('completed');
    expect(b.messages.some((m) => m.type === 'output' || m.type === 'result')).toBe(false);
    a.close();
    b.close();
  });

  it('keeps non-UTF-8 output byte for byte', async () => {
    const user = await newUser();
    const ws = await WsClient.connect(user.token);
    const id = await wsExecute(ws, {
      language: 'python',
      code: "import sys\nsys.stdout.buffer.write(b'\\xff\\xfe\\x00ok\\n')\nsys.stdout.flush()\n",
    });
    await ws.result(id);
    expect(ws.bytes(id)).toEqual(Buffer.from([0xff, 0xfe, 0x00, 0x6f, 0x6b, 0x0a]));
    expect(ws.outputs(id).some((m) => m['encoding'] === 'base64')).toBe(true);
    ws.close();
  });

  it('delivers output while the program still runs: it waits for input the client sends after that output', async () => {
    const user = await newUser();
    const ws = await WsClient.connect(user.token);
    const id = await wsExecute(ws, {
      language: 'python',
      code: "print('ready', flush=True)\nline = input()\nprint('got', line)\n",
      interactive: true,
    });
    // The program cannot end before this stdin: an output that arrives first was streamed live.
    const first = await ws.next((m) => m.type === 'output' && m.executionId === id);
    await ws.next(() => ws.bytes(id).toString() === 'ready\n');
    expect(ws.messages.some((m) => m.type === 'result' && m.executionId === id)).toBe(false);
    ws.send({ type: 'stdin', executionId: id, data: 'go\n' });
    const result = await ws.result(id);
    expect(result['output']).toBe('ready\ngot go\n');
    expect(ws.messages.indexOf(first)).toBeLessThan(ws.messages.indexOf(result));
    ws.close();
  });

  it('answers stdin sent while an interactive program runs', async () => {
    const user = await newUser();
    const ws = await WsClient.connect(user.token);
    const id = await wsExecute(ws, {
      language: 'python',
      code: "name = input()\nprint('hi', name)\n",
      interactive: true,
    });
    ws.send({ type: 'stdin', executionId: id, data: 'Ada\n' });
    const result = await ws.result(id);
    expect(result['status']).toBe('completed');
    expect(result['output']).toBe('hi Ada\n');
    expect(ws.bytes(id).toString()).toBe('hi Ada\n');
    ws.close();
  });

  it('cancels a running program', async () => {
    const user = await newUser();
    const ws = await WsClient.connect(user.token);
    const id = await wsExecute(ws, {
      language: 'python',
      code: "import time\nprint('started', flush=True)\ntime.sleep(30)\nprint('never')\n",
      limits: { timeout: 20 },
    });
    await ws.next((m) => m.type === 'output' && m.executionId === id);
    const cancelAt = ws.messages.length;
    ws.send({ type: 'cancel', executionId: id });
    const result = await ws.result(id);
    expect(result['status']).toBe('cancelled');
    // Cancelled, not timed out (20 s) nor finished (30 s): the cancel ended it, after its first
    // line and before its last (how fast is measured by the bench, not here).
    expect(result['output']).toBe('started\n');
    expect(ws.messages.indexOf(result)).toBeGreaterThanOrEqual(cancelAt);
    ws.close();
  });
});
