import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { newUser } from '../support/api.js';
import { freePort, randomId, root, startProcess, waitFor, type Proc } from '../support/stack.js';
import { startGateway } from '../support/gateway.js';

// Two more control-planes on the test stack's database and Redis, with small limits: the
// counts must hold across instances, as behind a load balancer.
const limits = { perIp: 20, perUser: 10, login: 3, register: 3 };
/** A random client address, so each test has buckets of its own. */
const ip = () => `10.${[0, 0, 0].map(() => Math.floor(Math.random() * 250)).join('.')}`;
const procs: Proc[] = [];
const urls: string[] = [];

beforeAll(async () => {
  for (let i = 0; i < 2; i++) {
    const [http, rpc] = [await freePort(), await freePort()];
    procs.push(
      startProcess(`control-plane-rl-${i}`, 'control-plane/src/main.ts', {
        CP_HTTP_PORT: String(http),
        CP_RPC_PORT: String(rpc),
        CP_DATABASE_URL: inject('databaseUrl'),
        CP_REDIS_URL: inject('redisUrl'),
        CP_REDIS_PREFIX: inject('redisPrefix'),
        CP_DEFAULT_REGION: inject('region'),
        CP_REGIONS: 'no-agents-here',
        CP_RUNNER_TOKEN: randomId(16),
        CP_JWT_PRIVATE_KEY_FILE: process.env['CP_JWT_PRIVATE_KEY_FILE'] ?? `${root}/.state/jwt-ed25519.pem`,
        // A day-long window: no test here straddles a window boundary.
        CP_RATE_LIMIT_WINDOW_SECONDS: '86400',
        CP_RATE_LIMIT_PER_IP: String(limits.perIp),
        CP_RATE_LIMIT_PER_USER: String(limits.perUser),
        CP_RATE_LIMIT_LOGIN_PER_IP: String(limits.login),
        CP_RATE_LIMIT_REGISTER_PER_IP: String(limits.register),
        CP_EXECUTE_MAX_WAITERS: '1',
        CP_LOG_LEVEL: 'warn',
      }),
    );
    urls.push(`http://127.0.0.1:${http}/api/v1`);
  }
  // Ready when it answers at all; each probe comes from an address of its own.
  for (const url of urls) {
    await waitFor(
      'the extra control-plane',
      async () =>
        (
          await fetch(`${url}/languages`, {
            headers: { 'x-forwarded-for': ip() },
          }).catch(() => null)
        )?.ok
          ? true
          : undefined,
      60_000,
      250,
    );
  }
});

afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop()));
});

async function call(
  i: number,
  path: string,
  init: { ip: string; token?: string; method?: string; body?: unknown },
) {
  const headers: Record<string, string> = { 'x-forwarded-for': init.ip };
  if (init.token) headers['authorization'] = `Bearer ${init.token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${urls[i % urls.length]}${path}`, {
    method: init.method ?? 'GET',
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  return {
    status: res.status,
    headers: res.headers,
    body: (await res.json()) as { error?: { code: string } },
  };
}

describe('rate limits across two control-plane instances', () => {
  it('per user: exactly the limit passes, alternating instances; then 429 with Retry-After', async () => {
    const user = await newUser();
    const from = ip();
    const results = [];
    for (let i = 0; i < limits.perUser + 4; i++)
      results.push(await call(i, '/auth/me', { ip: from, token: user.token }));
    expect(results.map((r) => r.status)).toEqual([
      ...Array<number>(limits.perUser).fill(200),
      ...Array<number>(4).fill(429),
    ]);
    expect(results[0]!.headers.get('ratelimit-limit')).toBe(String(limits.perUser));
    expect(results.slice(0, limits.perUser).map((r) => Number(r.headers.get('ratelimit-remaining')))).toEqual(
      Array.from({ length: limits.perUser }, (_, i) => limits.perUser - 1 - i),
    );
    const refused = results.at(-1)!;
    expect(refused.body.error?.code).toBe('rate_limited');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(refused.headers.get('ratelimit-reset'))).toBeGreaterThan(0);
    // Another user from the same address is not affected.
    const other = await newUser();
    expect((await call(0, '/auth/me', { ip: from, token: other.token })).status).toBe(200);
  });

  it('per IP, concurrently: exactly the limit passes', async () => {
    const from = ip();
    const results = await Promise.all(
      Array.from({ length: limits.perIp + 10 }, (_, i) => call(i, '/languages', { ip: from })),
    );
    const ok = results.filter((r) => r.status === 200).length;
    expect(ok).toBe(limits.perIp);
    expect(results.filter((r) => r.status === 429)).toHaveLength(10);
    // A different address still gets through.
    expect((await call(1, '/languages', { ip: ip() })).status).toBe(200);
  });

  it('login attempts are limited harder than other requests', async () => {
    const from = ip();
    const statuses = [];
    for (let i = 0; i < limits.login + 2; i++) {
      const r = await call(i, '/auth/login', {
        ip: from,
        method: 'POST',
        body: { email: 'nobody@example.com', password: 'wrong-password-1' },
      });
      statuses.push(r.status);
    }
    expect(statuses).toEqual([...Array<number>(limits.login).fill(401), 429, 429]);
    // Other requests from that address still pass (the general per-IP limit is higher).
    expect((await call(0, '/languages', { ip: from })).status).toBe(200);
  });

  it('a trailing slash on the login path counts against the login limit too', async () => {
    const from = ip();
    const statuses = [];
    for (let i = 0; i < limits.login + 2; i++) {
      const r = await call(i, i % 2 ? '/auth/login' : '/auth/login/', {
        ip: from,
        method: 'POST',
        body: { email: 'nobody@example.com', password: 'wrong-password-1' },
      });
      statuses.push(r.status);
    }
    expect(statuses).toEqual([...Array<number>(limits.login).fill(401), 429, 429]);
  });

  it('registrations from one address are limited', async () => {
    const from = ip();
    const statuses = [];
    for (let i = 0; i < limits.register + 2; i++) {
      const id = Math.random().toString(36).slice(2, 10);
      const r = await call(i, i === 1 ? '/auth/register/' : '/auth/register', {
        ip: from,
        method: 'POST',
        body: { email: `mass-${id}@example.com`, password: 'Secure-Pass-123', username: `mass_${id}` },
      });
      statuses.push(r.status);
    }
    expect(statuses).toEqual([...Array<number>(limits.register).fill(201), 429, 429]);
    // Logins from that address are not affected.
    const login = await call(0, '/auth/login', {
      ip: from,
      method: 'POST',
      body: { email: 'nobody@example.com', password: 'wrong-password-1' },
    });
    expect(login.status).toBe(401);
  });

  it('health probes are not counted against the per-address limit', async () => {
    const from = ip();
    const statuses = [];
    for (let i = 0; i < limits.perIp + 5; i++) statuses.push((await call(i, '/health', { ip: from })).status);
    expect(statuses.filter((s) => s === 429)).toEqual([]);
    // Probes used up nothing: the address still has its whole per-IP budget.
    const first = await call(0, '/languages', { ip: from });
    expect(first.status).toBe(200);
    expect(first.headers.get('ratelimit-remaining')).toBe(String(limits.perIp - 1));
  });
});

describe('client addresses behind a proxy', () => {
  it('a gateway behind a trusted proxy counts each client apart, by the right-most untrusted hop', async () => {
    // As behind nginx on 127.0.0.1: the client's own X-Forwarded-For value comes first, nginx's last.
    const g = await startGateway('gateway-rl-proxy', {
      GATEWAY_CONTROL_PLANE_URL: urls[0]!.replace(/\/api\/v1$/, ''),
      GATEWAY_TRUSTED_PROXIES: '127.0.0.1',
    });
    procs.push(g.proc);
    const login = (xff: string) =>
      fetch(`${g.apiUrl}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': xff },
        body: JSON.stringify({ email: 'nobody@example.com', password: 'wrong-password-1' }),
      }).then((r) => r.status);
    const [a, b] = [ip(), ip()];
    const fromA = [];
    // Each attempt claims another (made-up) address on the left: it must not buy more attempts.
    for (let i = 0; i < limits.login + 1; i++) fromA.push(await login(`${ip()}, ${a}`));
    expect(fromA).toEqual([...Array<number>(limits.login).fill(401), 429]);
    // Another client behind the same proxy has a bucket of its own.
    expect(await login(b)).toBe(401);
  });
});

describe('waiting for results', () => {
  it('lets at most CP_EXECUTE_MAX_WAITERS requests wait at once; the next is a 503 and queues nothing', async () => {
    const user = await newUser();
    const from = ip();
    const body = { language: 'python', code: 'print(1)', region: 'no-agents-here', timeout: 1 };
    const waiting = call(0, '/execute?wait=true', { ip: from, token: user.token, method: 'POST', body });
    const list = async () =>
      (await call(0, '/executions', { ip: from, token: user.token })).body as unknown as {
        data: { executions: { executionId: string }[] };
      };
    const [first] = await waitFor(
      'the first execution to be queued',
      async () => {
        const l = await list();
        return l.data.executions.length > 0 ? l.data.executions : undefined;
      },
      10_000,
    );
    const refused = await call(0, '/execute?wait=true', {
      ip: from,
      token: user.token,
      method: 'POST',
      body,
    });
    expect(refused.status).toBe(503);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await list()).data.executions).toHaveLength(1);
    // Cancelled through the other instance: the waiter follows the Redis stream, not local state.
    const cancel = await call(1, `/execute/${first!.executionId}/cancel`, {
      ip: from,
      token: user.token,
      method: 'POST',
    });
    expect(cancel.status).toBe(200);
    const done = await waiting;
    expect(done.status).toBe(200);
    expect((done.body as unknown as { data: { status: string } }).data.status).toBe('cancelled');
  });
});
