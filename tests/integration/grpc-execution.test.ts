import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { api, newUser } from '../support/api.js';
import { stockExecutionClient, type AnyClient, type Msg } from '../support/grpc.js';

const client = stockExecutionClient;

function auth(token: string): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set('authorization', `Bearer ${token}`);
  return md;
}

function unary(c: AnyClient, method: string, req: Msg, md: grpc.Metadata): Promise<Msg> {
  return new Promise((resolve, reject) => {
    c[method](req, md, (err: grpc.ServiceError | null, res: Msg) => (err ? reject(err) : resolve(res)));
  });
}

function collect(
  call: grpc.ClientReadableStream<Msg> | grpc.ClientDuplexStream<Msg, Msg>,
  onEvent?: (m: Msg) => void,
) {
  return new Promise<Msg[]>((resolve, reject) => {
    const events: Msg[] = [];
    call.on('data', (m: Msg) => {
      events.push(m);
      onEvent?.(m);
    });
    call.on('error', reject);
    call.on('end', () => resolve(events));
  });
}

const stdoutOf = (events: Msg[]) =>
  Buffer.concat(
    events.filter((e) => e['event'] === 'output').map((e) => e['output'].data as Buffer),
  ).toString();

async function newApiKey(token: string, scopes: string[]) {
  const r = await api('POST', '/api-keys', { token, body: { name: `tool ${scopes.join('+')}`, scopes } });
  expect(r.status).toBe(201);
  return r.body.data as { id: string; key: string; prefix: string; scopes: string[] };
}

describe('gRPC ExecutionService with a stock grpc-js client', () => {
  it('manages API keys: shown once, listed without the key, revoked for good', async () => {
    const user = await newUser();
    const created = await newApiKey(user.token, ['execute', 'read']);
    expect(created.key).toMatch(/^msk_[A-Za-z0-9_-]{40,}$/);
    expect(created.key.startsWith(created.prefix)).toBe(true);

    const list = await api('GET', '/api-keys', { token: user.token });
    expect(list.status).toBe(200);
    expect(list.body.data).toHaveLength(1);
    expect(list.body.data[0]).toMatchObject({ id: created.id, prefix: created.prefix, revokedAt: null });
    expect(JSON.stringify(list.body)).not.toContain(created.key);

    const c = client();
    const langs = await unary(c, 'listLanguages', {}, auth(created.key));
    expect(langs['languages'].map((l: Msg) => l['id'])).toContain('python');

    const other = await newUser();
    expect((await api('DELETE', `/api-keys/${created.id}`, { token: other.token })).status).toBe(404);
    expect((await api('DELETE', `/api-keys/${created.id}`, { token: user.token })).status).toBe(200);
    await expect(unary(c, 'listLanguages', {}, auth(created.key))).rejects.toMatchObject({
      code: grpc.status.UNAUTHENTICATED,
    });
    const bad = await api('POST', '/api-keys', { token: user.token, body: { name: 'x', scopes: ['admin'] } });
    expect(bad.status).toBe(400);
    expect((await api('GET', '/api-keys')).status).toBe(401);
    c.close();
  });

  it('runs hello world with Execute, authenticated by an API key', async () => {
    const user = await newUser();
    const { key } = await newApiKey(user.token, ['execute', 'read']);
    const c = client();
    const events = await collect(
      c['execute']({ spec: { language: 'python', code: "print('hello world')" } }, auth(key)),
    );
    expect(events[0]).toMatchObject({ event: 'status', status: { status: 'STATUS_QUEUED' } });
    expect(stdoutOf(events)).toBe('hello world\n');
    const last = events.at(-1)!;
    expect(last['event']).toBe('result');
    expect(last['result']).toMatchObject({ status: 'STATUS_COMPLETED', exitCode: 0 });
    expect(Buffer.from(last['result'].stdout).toString()).toBe('hello world\n');

    const got = await unary(c, 'get', { executionId: last['result'].executionId }, auth(key));
    expect(got['execution']).toMatchObject({ status: 'STATUS_COMPLETED' });
    c.close();
  });

  it('answers stdin over the bidirectional Interact stream', async () => {
    const user = await newUser();
    const c = client();
    const call = c['interact'](auth(user.token)) as grpc.ClientDuplexStream<Msg, Msg>;
    let answered = false;
    const done = collect(call, (m) => {
      if (!answered && m['event'] === 'status') {
        answered = true;
        call.write({ stdin: Buffer.from('Ada\n') });
      }
    });
    call.write({ spec: { language: 'python', code: "name = input()\nprint('hi', name)\n" } });
    const events = await done;
    expect(stdoutOf(events)).toBe('hi Ada\n');
    expect(events.at(-1)!['result']).toMatchObject({ status: 'STATUS_COMPLETED' });
    c.close();
  });

  it('enforces scopes, ownership and authentication', async () => {
    const owner = await newUser();
    const readOnly = await newApiKey(owner.token, ['read']);
    const c = client();
    await expect(
      unary(c, 'submit', { spec: { language: 'python', code: 'print(1)' } }, auth(readOnly.key)),
    ).rejects.toMatchObject({ code: grpc.status.PERMISSION_DENIED });
    await expect(unary(c, 'listLanguages', {}, new grpc.Metadata())).rejects.toMatchObject({
      code: grpc.status.UNAUTHENTICATED,
    });
    await expect(unary(c, 'listLanguages', {}, auth('msk_not-a-real-key'))).rejects.toMatchObject({
      code: grpc.status.UNAUTHENTICATED,
    });

    const submitted = await unary(
      c,
      'submit',
      { spec: { language: 'python', code: 'print(1)' } },
      auth(owner.token),
    );
    const other = await newUser();
    const otherKey = await newApiKey(other.token, ['execute', 'read']);
    for (const method of ['get', 'cancel']) {
      await expect(
        unary(c, method, { executionId: submitted['executionId'] }, auth(otherKey.key)),
      ).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
    }
    await expect(
      unary(c, 'submit', { spec: { language: 'cobol-77', code: 'x' } }, auth(owner.token)),
    ).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
    c.close();
  });
});
