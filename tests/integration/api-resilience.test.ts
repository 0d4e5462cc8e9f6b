import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../control-plane/src/infra/migrate.js';
import { redisScript } from '@muscode/common';
import { jobIdField } from '../../control-plane/src/infra/streams.js';
import {
  createDatabase,
  databaseUrl,
  dropDatabase,
  freePort,
  randomId,
  root,
  startProcess,
  waitFor,
  type Proc,
} from '../support/stack.js';

// Outages need parts of our own: a database, a redis-server and a control-plane of this file
// (never the shared ones), so stopping Redis or locking a table disturbs no other test.
const dbName = `muscode_resilience_${randomId()}`;
const region = `res-${randomId()}`;
const otherRegion = `res-other-${randomId()}`;
let redisPort = 0;
let redisServer: ChildProcess | undefined;
let cp: Proc | undefined;
let url = '';
let httpPort = 0;

async function startRedis(): Promise<void> {
  redisServer = spawn(
    'redis-server',
    ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  await waitFor(
    'our redis-server',
    async () => {
      const r = new Redis({ port: redisPort, lazyConnect: true, maxRetriesPerRequest: 0 });
      try {
        await r.connect();
        return (await r.ping()) === 'PONG' ? true : undefined;
      } finally {
        r.disconnect();
      }
    },
    10_000,
  );
}

async function stopRedis(): Promise<void> {
  const s = redisServer;
  if (!s || s.exitCode !== null || s.signalCode !== null) return;
  const exited = once(s, 'exit');
  s.kill('SIGCONT');
  s.kill('SIGTERM');
  await exited;
}

function redis(): Redis {
  return new Redis({ port: redisPort, maxRetriesPerRequest: 1 });
}

beforeAll(async () => {
  await createDatabase(dbName);
  await migrate(databaseUrl(dbName), `${root}/migrations`);
  redisPort = await freePort();
  await startRedis();
  const [http, rpc] = [await freePort(), await freePort()];
  cp = startProcess('control-plane-resilience', 'control-plane/src/main.ts', {
    CP_RUNNER_TOKEN: randomId(16),
    CP_RATE_LIMIT_REGISTER_PER_IP: '1000000',
    CP_HTTP_PORT: String(http),
    CP_RPC_PORT: String(rpc),
    CP_DATABASE_URL: databaseUrl(dbName),
    CP_REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    CP_REDIS_PREFIX: 'res:',
    CP_DEFAULT_REGION: region,
    CP_REGIONS: `${region},${otherRegion}`,
    CP_JWT_PRIVATE_KEY_FILE: process.env['CP_JWT_PRIVATE_KEY_FILE'] ?? `${root}/.state/jwt-ed25519.pem`,
    CP_RATE_LIMIT_PER_IP: '1000000',
    CP_RATE_LIMIT_PER_USER: '1000000',
    CP_RATE_LIMIT_LOGIN_PER_IP: '1000000',
    CP_LOG_LEVEL: 'warn',
  });
  httpPort = http;
  url = `http://127.0.0.1:${http}/api/v1`;
  await waitFor(
    'our control-plane',
    async () => ((await fetch(`${url}/languages`).catch(() => null))?.ok ? true : undefined),
    60_000,
    250,
  );
});

afterAll(async () => {
  await cp?.stop();
  await stopRedis();
  await dropDatabase(dbName);
});

interface Answer {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
  body: any;
}

/**
 * A request to our control-plane. It gives up after 20 s: a request that hangs through an
 * outage fails the test by its status (0), not by the test's own timeout.
 */
async function call(
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers['authorization'] = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  try {
    const res = await fetch(`${url}${path}`, {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      signal: AbortSignal.timeout(20_000),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  } catch {
    return { status: 0, headers: new Headers(), body: undefined };
  }
}

async function newUser(): Promise<{ userId: string; token: string }> {
  const id = randomId();
  const email = `res-${id}@example.com`;
  const password = `Secure-${id}-Pass1`;
  const reg = await call('POST', '/auth/register', { body: { email, password, username: `res_${id}` } });
  expect(reg.status).toBe(201);
  const login = await call('POST', '/auth/login', { body: { email, password } });
  expect(login.status).toBe(200);
  return { userId: login.body.data.user.id, token: login.body.data.token };
}

async function sql<T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: databaseUrl(dbName) });
  await c.connect();
  try {
    return (await c.query<T>(text, values)).rows;
  } finally {
    await c.end();
  }
}

/** What a user's submissions left behind: rows, quota taken, audit rows. */
async function traces(userId: string) {
  const [rows] = await sql<{ n: number }>('SELECT count(*)::int AS n FROM executions WHERE user_id = $1', [
    userId,
  ]);
  const [quota] = await sql<{ today: number; month: number }>(
    'SELECT executions_today AS today, executions_month AS month FROM user_quotas WHERE user_id = $1',
    [userId],
  );
  const [audit] = await sql<{ n: number }>(
    "SELECT count(*)::int AS n FROM audit_logs WHERE user_id = $1 AND action = 'execution_submit'",
    [userId],
  );
  return { rows: rows?.n, today: quota?.today, month: quota?.month, audit: audit?.n };
}

const hello = { language: 'python', code: 'print(1)' };

describe('Redis unavailable', () => {
  it('a stopped (unresponsive) Redis: submissions and /health answer 503 with Retry-After while it is still stopped', async () => {
    const user = await newUser();
    redisServer?.kill('SIGSTOP');
    let submit: Answer;
    let health: Answer;
    try {
      [submit, health] = await Promise.all([
        call('POST', '/execute', { token: user.token, body: hello }),
        call('GET', '/health'),
      ]);
      // Both answered before Redis came back (we resume it only now).
    } finally {
      redisServer?.kill('SIGCONT');
    }
    expect(submit.status).toBe(503);
    expect(submit.body.error.code).toBe('service_unavailable');
    expect(Number(submit.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(health.status).toBe(503);
    // The public answer says only up or degraded (administrators see which service).
    expect(health.body.status).toBe('degraded');
    expect(await traces(user.userId)).toMatchObject({ rows: 0, audit: 0 });
    // Once it is back, the same request is accepted.
    await waitFor(
      'submissions accepted again',
      async () =>
        (await call('POST', '/execute', { token: user.token, body: hello })).status === 200
          ? true
          : undefined,
      15_000,
      200,
    );
  });

  it('a Redis that is gone (connection refused): 503 with Retry-After at once, not queued until it is back', async () => {
    const user = await newUser();
    await stopRedis();
    let submit: Answer;
    try {
      submit = await call('POST', '/execute', { token: user.token, body: hello });
      // Answered while Redis is still gone: it is started again only now.
    } finally {
      await startRedis();
    }
    expect(submit.status).toBe(503);
    expect(Number(submit.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await traces(user.userId)).toMatchObject({ rows: 0, audit: 0 });
    await waitFor(
      'submissions accepted again',
      async () =>
        (await call('POST', '/execute', { token: user.token, body: hello })).status === 200
          ? true
          : undefined,
      20_000,
      250,
    );
  });

  it('a Redis at maxmemory refuses the job: 503, and the refused submission leaves no row, quota or audit entry', async () => {
    const user = await newUser();
    const r = redis();
    const ballast = `res-ballast-${randomId()}`;
    try {
      // Reads still work (the token check, the queue length), writes are refused (OOM).
      await r.set(ballast, 'x'.repeat(4 * 1024 * 1024));
      await r.config('SET', 'maxmemory-policy', 'noeviction');
      await r.config('SET', 'maxmemory', String(1024 * 1024));
      const submit = await call('POST', '/execute', { token: user.token, body: hello });
      expect(submit.status).toBe(503);
      expect(Number(submit.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await traces(user.userId)).toEqual({ rows: 0, today: 0, month: 0, audit: 0 });
    } finally {
      await r.config('SET', 'maxmemory', '0');
      await r.del(ballast);
      r.disconnect();
    }
    const ok = await call('POST', '/execute', { token: user.token, body: hello });
    expect(ok.status).toBe(200);
    expect(await traces(user.userId)).toEqual({ rows: 1, today: 1, month: 1, audit: 1 });
  });
});

describe('database unavailable', () => {
  it('a locked executions table is a 503 with Retry-After, not a 500 after the statement timeout', async () => {
    const user = await newUser();
    const locker = new pg.Client({ connectionString: databaseUrl(dbName) });
    await locker.connect();
    let submit: Answer;
    let history: Answer;
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE executions IN ACCESS EXCLUSIVE MODE');
      [submit, history] = await Promise.all([
        call('POST', '/execute', { token: user.token, body: hello }),
        call('GET', '/executions', { token: user.token }),
      ]);
      // Both answered while the lock was still held.
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
    }
    for (const r of [submit, history]) {
      expect(r.status).toBe(503);
      expect(r.body.error.code).toBe('service_unavailable');
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    expect(await traces(user.userId)).toMatchObject({ rows: 0, today: 0 });
    expect((await call('POST', '/execute', { token: user.token, body: hello })).status).toBe(200);
  });
});

describe('regions and the job queue', () => {
  it('a region that is not configured is a 400 naming the regions there are, and queues nothing', async () => {
    const user = await newUser();
    const r = await call('POST', '/execute', {
      token: user.token,
      body: { ...hello, region: `nowhere-${randomId()}` },
    });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('validation_failed');
    expect(r.body.error.details.field).toBe('region');
    expect(r.body.error.details.regions).toEqual([region, otherRegion]);
    expect(await traces(user.userId)).toMatchObject({ rows: 0, today: 0 });
    const ok = await call('POST', '/execute', { token: user.token, body: { ...hello, region: otherRegion } });
    expect(ok.status).toBe(200);
  });

  it('the sweeper learns which executions are queued from ids alone, not the jobs’ code', async () => {
    const r = redis();
    const stream = `res-sweep-${randomId()}`;
    try {
      const big = 'x'.repeat(256 * 1024);
      const ids = Array.from({ length: 12 }, () => crypto.randomUUID());
      const job = (executionId: string) => ({
        executionId,
        ownerId: 'u',
        language: 'python',
        files: [{ path: 'main.py', content: big }],
        mainFile: 'main.py',
        args: [],
        stdin: '',
        interactive: false,
        limits: {},
        enqueuedAt: 0,
      });
      // As the fair queue's dispatch writes them (scripts/fair-queue.ts): the id in its own field.
      for (const id of ids.slice(0, 10))
        await r.xadd(
          `res-sweep:jobs:${stream}`,
          '*',
          'job',
          JSON.stringify(job(id)),
          'owner',
          'u',
          jobIdField,
          id,
        );
      // Entries written before the id field existed: the job JSON only.
      for (const id of ids.slice(10))
        await r.xadd(`res-sweep:jobs:${stream}`, '*', 'job', JSON.stringify(job(id)));
      const seen = new Set<string>();
      let start = '-';
      let replyBytes = 0;
      for (;;) {
        const reply = (await r.eval(redisScript('job-ids').lua, 1, `res-sweep:jobs:${stream}`, start, 5)) as [
          string,
          number,
          string[],
        ];
        replyBytes += JSON.stringify(reply).length;
        reply[2].forEach((id) => seen.add(id));
        if (reply[1] < 5) break;
        start = `(${reply[0]}`;
      }
      expect([...seen].sort()).toEqual([...ids].sort());
      // 3 MB of jobs in the stream; the answers are ids and entry ids.
      expect(replyBytes).toBeLessThan(4096);
    } finally {
      await r.del(`res-sweep:jobs:${stream}`);
      r.disconnect();
    }
  });
});

describe('the runner registry', () => {
  it('GET /languages, /health and /metrics find the fleet without SCANning the keyspace', async () => {
    const r = redis();
    try {
      // Many keys of other kinds: a SCAN would walk them all.
      const pipe = r.pipeline();
      for (let i = 0; i < 2000; i++) pipe.set(`res:exec:{x${i}}:events`, '1', 'EX', 60);
      await pipe.exec();
      const scans = async () => {
        const info = await r.info('commandstats');
        return Number(/cmdstat_scan:calls=(\d+)/.exec(info)?.[1] ?? 0);
      };
      const before = await scans();
      expect((await call('GET', '/languages')).status).toBe(200);
      expect((await call('GET', '/health')).body.status).toMatch(/^(up|degraded)$/);
      expect((await fetch(`http://127.0.0.1:${httpPort}/metrics`)).status).toBe(200);
      expect(await scans()).toBe(before);
    } finally {
      r.disconnect();
    }
  });
});

describe('Idempotency-Key', () => {
  it('a retry with the same key and body answers the same execution and pays once; another body is a 422', async () => {
    const user = await newUser();
    const key = `retry-${randomId()}`;
    const headers = { 'idempotency-key': key };
    const first = await call('POST', '/execute', { token: user.token, body: hello, headers });
    const again = await call('POST', '/execute', { token: user.token, body: hello, headers });
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(again.body.data.executionId).toBe(first.body.data.executionId);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await traces(user.userId)).toEqual({ rows: 1, today: 1, month: 1, audit: 1 });
    const other = await call('POST', '/execute', {
      token: user.token,
      body: { ...hello, code: 'print(2)' },
      headers,
    });
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('idempotency_key_reused');
    // Keys are per user: another user's same key is a submission of its own.
    const stranger = await newUser();
    const theirs = await call('POST', '/execute', { token: stranger.token, body: hello, headers });
    expect(theirs.status).toBe(200);
    expect(theirs.body.data.executionId).not.toBe(first.body.data.executionId);
    // Without a key, every request is a new execution.
    await call('POST', '/execute', { token: user.token, body: hello });
    expect((await traces(user.userId)).rows).toBe(2);
  });

  it('a refused submission releases its key: the retry is submitted', async () => {
    const user = await newUser();
    const headers = { 'idempotency-key': `refused-${randomId()}` };
    const locker = new pg.Client({ connectionString: databaseUrl(dbName) });
    await locker.connect();
    let refused: Answer;
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE executions IN ACCESS EXCLUSIVE MODE');
      refused = await call('POST', '/execute', { token: user.token, body: hello, headers });
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
    }
    expect(refused.status).toBe(503);
    const retry = await call('POST', '/execute', { token: user.token, body: hello, headers });
    expect(retry.status).toBe(200);
    expect(retry.headers.get('idempotent-replayed')).toBeNull();
  });
});
