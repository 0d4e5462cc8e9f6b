import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { api, newUser, type TestUser } from '../support/api.js';
import { WsClient, wsExecute } from '../support/ws.js';

const redis = new Redis(inject('redisUrl'));
afterAll(() => redis.disconnect());

/** The execution's `result` event as the control-plane appended it to Redis. */
async function resultEvent(executionId: string): Promise<Record<string, unknown>> {
  const entries = await redis.xrange(`${inject('redisPrefix')}exec:{${executionId}}:events`, '-', '+');
  const events = entries.map(([, f]) => JSON.parse(f[1]!) as Record<string, unknown>);
  const results = events.filter((e) => e['type'] === 'result');
  expect(results).toHaveLength(1);
  return results[0]!;
}

/** GET /execute/{id} with a fresh login of the user (their first token may be revoked). */
async function getAsOwner(user: TestUser, executionId: string) {
  const login = await api('POST', '/auth/login', { body: { email: user.email, password: user.password } });
  const r = await api('GET', `/execute/${executionId}`, { token: login.body.data.token });
  expect(r.status).toBe(200);
  return r.body.data as Record<string, unknown>;
}

// Non-UTF-8 stdout (base64 in JSON), UTF-8 stderr, exit code 3.
const bytesOut =
  "import sys\nsys.stdout.buffer.write(b'\\xff\\xfe\\x00ok\\n')\nsys.stdout.flush()\n" +
  "sys.stderr.write('w\\u00e4rn\\n')\nsys.exit(3)\n";

describe('result event', () => {
  it('carries the whole execution: WebSocket followers get it without asking the API again', async () => {
    const user = await newUser();
    const ws = await WsClient.connect(user.token);
    const id = await wsExecute(ws, { language: 'python', code: `import time\ntime.sleep(2)\n${bytesOut}` });
    // Revoke the connection's token while the program sleeps: a lookup of the result with it
    // would now be refused (and close the socket with 4001). The result still arrives whole.
    expect((await api('POST', '/auth/logout', { token: user.token })).status).toBe(200);
    const revokedAt = Date.now();
    const result = await ws.result(id);
    expect(result.receivedAt).toBeGreaterThan(revokedAt);
    const { type, seq, receivedAt, ...fields } = result;
    expect([type, receivedAt > 0]).toEqual(['result', true]);
    expect(seq).toBeGreaterThan(0);
    expect(fields['status']).toBe('runtime_error');
    expect(fields['exitCode']).toBe(3);
    expect(fields['outputEncoding']).toBe('base64');
    expect(Buffer.from(fields['output'] as string, 'base64')).toEqual(
      Buffer.from([0xff, 0xfe, 0x00, 0x6f, 0x6b, 0x0a]),
    );
    expect([fields['error'], fields['errorEncoding']]).toEqual(['wärn\n', 'utf8']);
    // Exactly the fields of GET /execute/{id}, and the same values.
    expect(fields).toEqual(await getAsOwner(user, id));
    expect((await resultEvent(id))['view']).toEqual(fields);
    ws.close();
  });

  it('answers POST /execute?wait=true from the event, the same as GET', async () => {
    const user = await newUser();
    const r = await api('POST', '/execute?wait=true', {
      token: user.token,
      body: { language: 'python', code: bytesOut },
    });
    expect(r.status).toBe(200);
    const view = r.body.data as Record<string, unknown>;
    expect(view['status']).toBe('runtime_error');
    expect(Buffer.from(view['output'] as string, 'base64').toString('latin1')).toBe('\xff\xfe\x00ok\n');
    expect(view).toEqual(await getAsOwner(user, view['executionId'] as string));
    const event = await resultEvent(view['executionId'] as string);
    expect([event['status'], event['seq']]).toEqual(['runtime_error', expect.any(Number)]);
    expect(event['view']).toEqual(view);
  });

  it('leaves the output out of a result event past its size bound; followers look it up', async () => {
    const user = await newUser();
    const size = 300_000; // above the default CP_RESULT_EVENT_MAX_BYTES (256 KiB)
    const body = { language: 'python', outputLimit: 1024 * 1024 };
    const submitted = await api('POST', '/execute', {
      token: user.token,
      body: { ...body, code: `import sys\nsys.stdout.write('x' * ${size})\n` },
    });
    expect(submitted.status).toBe(200);
    const id = submitted.body.data.executionId as string;
    const ws = await WsClient.connect(user.token);
    ws.send({ type: 'subscribe', executionId: id, fromSeq: 0 });
    const result = await ws.result(id);
    expect(result['status']).toBe('completed');
    expect(result['output']).toBe('x'.repeat(size));
    const event = await resultEvent(id);
    expect(event['status']).toBe('completed');
    expect(event).not.toHaveProperty('view');
    const { type, seq, receivedAt, ...fields } = result;
    expect([type, seq, receivedAt > 0]).toEqual(['result', event['seq'], true]);
    expect(fields).toEqual(await getAsOwner(user, id));
    // REST wait answers the same way, from the row.
    const waited = await api('POST', '/execute?wait=true', {
      token: user.token,
      body: { ...body, code: `import sys\nsys.stdout.write('y' * ${size})\n` },
    });
    expect(waited.status).toBe(200);
    expect([waited.body.data.status, waited.body.data.output]).toEqual(['completed', 'y'.repeat(size)]);
    ws.close();
  });
});
