import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createConnectTransport, createGrpcTransport } from '@connectrpc/connect-node';
import { ExecutionService } from '@muscode/proto/execution/v1';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { newUser } from '../support/api.js';
import { freePort, randomId, root, startProcess, waitFor, type Proc } from '../support/stack.js';

// A control-plane of this file's own on the test stack's database and Redis, with a small
// per-user limit: the gRPC port must count against the same bucket as REST.
const perUser = 6;
const readMax = 64 * 1024;
let cp: Proc | undefined;
let rpcUrl = '';
let restUrl = '';

beforeAll(async () => {
  const [http, rpc] = [await freePort(), await freePort()];
  cp = startProcess('control-plane-grpc-limits', 'control-plane/src/main.ts', {
    CP_RUNNER_TOKEN: randomId(16),
    CP_RATE_LIMIT_REGISTER_PER_IP: '1000000',
    CP_HTTP_PORT: String(http),
    CP_RPC_PORT: String(rpc),
    CP_DATABASE_URL: inject('databaseUrl'),
    CP_REDIS_URL: inject('redisUrl'),
    CP_REDIS_PREFIX: inject('redisPrefix'),
    CP_DEFAULT_REGION: inject('region'),
    CP_JWT_PRIVATE_KEY_FILE: process.env['CP_JWT_PRIVATE_KEY_FILE'] ?? `${root}/.state/jwt-ed25519.pem`,
    CP_RATE_LIMIT_WINDOW_SECONDS: '86400',
    CP_RATE_LIMIT_PER_USER: String(perUser),
    CP_RATE_LIMIT_PER_IP: '1000000',
    CP_RPC_READ_MAX_BYTES: String(readMax),
    CP_LOG_LEVEL: 'warn',
  });
  rpcUrl = `http://127.0.0.1:${rpc}`;
  restUrl = `http://127.0.0.1:${http}/api/v1`;
  await waitFor(
    'the grpc-limits control-plane',
    async () => ((await fetch(`${restUrl}/languages`).catch(() => null))?.ok ? true : undefined),
    60_000,
    250,
  );
});

afterAll(async () => {
  await cp?.stop();
});

async function code(p: Promise<unknown>): Promise<Code | 'ok'> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return ConnectError.from(err).code;
  }
}

describe('gRPC limits', () => {
  it('counts gRPC calls against the per-user rate limit REST uses: past it RESOURCE_EXHAUSTED', async () => {
    const user = await newUser();
    const c = createClient(ExecutionService, createGrpcTransport({ baseUrl: rpcUrl }));
    const opts = { headers: { authorization: `Bearer ${user.token}` } };
    const unknownId = '00000000-0000-4000-8000-000000000000';
    // Two of the user's requests over REST, the rest of the limit over gRPC.
    for (let i = 0; i < 2; i++) {
      const r = await fetch(`${restUrl}/executions`, { headers: opts.headers });
      expect(r.status).toBe(200);
    }
    const codes: (Code | 'ok')[] = [];
    for (let i = 0; i < perUser; i++) codes.push(await code(c.get({ executionId: unknownId }, opts)));
    expect(codes.slice(0, perUser - 2)).toEqual(Array(perUser - 2).fill(Code.NotFound));
    expect(codes.slice(perUser - 2)).toEqual([Code.ResourceExhausted, Code.ResourceExhausted]);
    // And REST sees the same bucket spent.
    expect((await fetch(`${restUrl}/executions`, { headers: opts.headers })).status).toBe(429);
  });

  it('does not read a request message larger than the read limit (CP_RPC_READ_MAX_BYTES)', async () => {
    const user = await newUser();
    const c = createClient(ExecutionService, createGrpcTransport({ baseUrl: rpcUrl }));
    const opts = { headers: { authorization: `Bearer ${user.token}` } };
    // Under the limit: read and answered.
    expect(await code(c.submit({ spec: { language: 'python', code: 'print(1)' } }, opts))).toBe('ok');
    // Over it: refused (RESOURCE_EXHAUSTED; a client still uploading may see the stream reset
    // instead), never read whole and run.
    const over = await code(
      c.submit({ spec: { language: 'python', code: `#${'x'.repeat(2 * readMax)}` } }, opts),
    );
    expect([Code.ResourceExhausted, Code.Internal]).toContain(over);
  });

  it('answers a call without credentials UNAUTHENTICATED in every protocol, before its message', async () => {
    for (const transport of [
      createGrpcTransport({ baseUrl: rpcUrl }),
      createConnectTransport({ baseUrl: rpcUrl, httpVersion: '2' }),
    ]) {
      const c = createClient(ExecutionService, transport);
      expect(await code(c.submit({ spec: { language: 'python', code: 'print(1)' } }))).toBe(
        Code.Unauthenticated,
      );
      expect(await code(c.listLanguages({}))).toBe(Code.Unauthenticated);
      const stream = c.execute({ spec: { language: 'python', code: 'print(1)' } });
      expect(
        await code(
          (async () => {
            for await (const _ of stream) void _;
          })(),
        ),
      ).toBe(Code.Unauthenticated);
    }
  });
});
