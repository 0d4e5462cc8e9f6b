/**
 * End-to-end latency of python hello world through the public edge (gateway):
 *   - REST: POST /api/v1/execute?wait=true until the answer arrives;
 *   - WebSocket: `execute` sent until its `result` message arrives.
 * Each sequentially and with 8 concurrent clients; p50/p95, plus where the time goes, from the
 * execution's own timestamps (createdAt = row inserted, startedAt = agent reported `started`,
 * completedAt = result row written) on this one machine's clock.
 *
 * Runs against BENCH_API_URL (e.g. http://127.0.0.1:8080/api/v1 of `npm run up`, whose Redis is
 * BENCH_REDIS_URL / BENCH_REDIS_PREFIX, by default the local stack's) or, without it, starts a
 * throwaway stack the way the tests do, once per isolation level in BENCH_E2E_LEVELS (default
 * "sandbox,jail"). Sequential requests are paced (BENCH_E2E_PAUSE_MS, default 1000).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { createServer } from 'node:http';
import WebSocket from 'ws';
import type { TestProject } from 'vitest/node';
import setupStack from '../tests/support/global-setup.js';
import { randomId } from '../tests/support/stack.js';

const code = "print('hello world')";
const sleeper = "import time\nprint('up', flush=True)\ntime.sleep(30)\n";
const cancelRuns = 5;
const sequentialRuns = 20;
// Sequential requests come at a user's pace, one a second, so that each finds the stack at rest
// (a pooled sandbox ready, the last run's refill done); the concurrent rows are back to back.
const pauseMs = Number(process.env['BENCH_E2E_PAUSE_MS'] ?? 1000);
const pause = () => new Promise((r) => setTimeout(r, pauseMs));
const concurrentClients = 8;
const runsPerClient = 5;

interface Sample {
  executionId: string;
  /** When the result row was written, and when the client got the answer (epoch ms). */
  completedAt: number;
  receivedAt: number;
  totalMs: number;
  submitMs: number;
  queueAndStartMs: number;
  runAndReportMs: number;
  programMs: number;
  deliveryMs: number;
}

interface View {
  status: string;
  output: string;
  executionId: string;
  createdAt: string;
  startedAt: string | null;
  completedAt: string | null;
  executionTime: number | null;
}

async function newToken(apiUrl: string): Promise<string> {
  const id = randomId();
  const email = `bench-${id}@example.com`;
  const password = `Bench-${id}-Pass1`;
  const headers = { 'content-type': 'application/json' };
  const reg = await fetch(`${apiUrl}/auth/register`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ email, password, username: `bench_${id}` }),
  });
  if (reg.status !== 201) throw new Error(`register: ${reg.status} ${await reg.text()}`);
  const login = await fetch(`${apiUrl}/auth/login`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ email, password }),
  });
  const body = (await login.json()) as { data: { token: string } };
  return body.data.token;
}

function sample(sentAt: number, receivedAt: number, v: View): Sample {
  if (v.status !== 'completed' || v.output !== 'hello world\n') {
    throw new Error(`unexpected result: ${JSON.stringify(v)}`);
  }
  const created = Date.parse(v.createdAt);
  const started = Date.parse(v.startedAt ?? v.createdAt);
  const completed = Date.parse(v.completedAt ?? v.createdAt);
  return {
    executionId: v.executionId,
    completedAt: completed,
    receivedAt,
    totalMs: receivedAt - sentAt,
    submitMs: created - sentAt,
    queueAndStartMs: started - created,
    runAndReportMs: completed - started,
    programMs: (v.executionTime ?? 0) * 1000,
    deliveryMs: receivedAt - completed,
  };
}

async function restOnce(apiUrl: string, token: string): Promise<Sample> {
  const sentAt = Date.now();
  const res = await fetch(`${apiUrl}/execute?wait=true`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ language: 'python', code }),
  });
  const body = (await res.json()) as { data: View };
  const receivedAt = Date.now();
  if (res.status !== 200) throw new Error(`execute?wait=true: ${res.status} ${JSON.stringify(body)}`);
  return sample(sentAt, receivedAt, body.data);
}

/** One WebSocket connection that runs executions one after another. */
async function wsClient(apiUrl: string, token: string) {
  const socket = new WebSocket(`${apiUrl.replace(/^http/, 'ws')}/ws?token=${encodeURIComponent(token)}`);
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  let pending: ((m: Record<string, unknown>) => void) | undefined;
  const executionIdOf = { value: '' };
  socket.on('message', (data) => {
    const m = JSON.parse(data.toString()) as Record<string, unknown>;
    if (m['type'] === 'status' && m['status'] === 'queued') executionIdOf.value = String(m['executionId']);
    if (m['type'] === 'result' || m['type'] === 'error') pending?.(m);
  });
  let onOutput: (() => void) | undefined;
  socket.on('message', (data) => {
    if ((JSON.parse(data.toString()) as { type?: string }).type === 'output') onOutput?.();
  });
  return {
    /** Starts a sleeping program, cancels it at its first output; ms from cancel to result. */
    async cancelOnce(): Promise<number> {
      let cancelledAt = 0;
      const result = await new Promise<Record<string, unknown>>((resolve) => {
        pending = resolve;
        onOutput = () => {
          onOutput = undefined;
          const id = executionIdOf.value;
          cancelledAt = Date.now();
          socket.send(JSON.stringify({ type: 'cancel', executionId: id }));
        };
        socket.send(
          JSON.stringify({ type: 'execute', language: 'python', code: sleeper, limits: { timeout: 20 } }),
        );
      });
      if (result['status'] !== 'cancelled') throw new Error(`cancel: ${JSON.stringify(result)}`);
      return Date.now() - cancelledAt;
    },
    async once(): Promise<Sample> {
      const sentAt = Date.now();
      const result = await new Promise<Record<string, unknown>>((resolve) => {
        pending = resolve;
        socket.send(JSON.stringify({ type: 'execute', language: 'python', code }));
      });
      const receivedAt = Date.now();
      if (result['type'] === 'error') throw new Error(`ws execute: ${JSON.stringify(result)}`);
      return sample(sentAt, receivedAt, result as unknown as View);
    },
    close: () => socket.close(),
  };
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
};

type Phase = Exclude<keyof Sample, 'executionId'>;

/**
 * Splits `delivery` at the moment the result event entered the execution's Redis stream (its
 * stream id is that moment in ms): database → event, and event → client.
 */
async function deliverySplit(redisUrl: string, prefix: string, samples: Sample[]) {
  const { Redis } = await import('ioredis');
  const redis = new Redis(redisUrl);
  try {
    const toEvent: number[] = [];
    const toClient: number[] = [];
    for (const s of samples) {
      const entries = await redis.xrange(`${prefix}exec:{${s.executionId}}:events`, '-', '+');
      const result = entries.find(
        ([, f]) => (JSON.parse(f[1] ?? '{}') as { type?: string }).type === 'result',
      );
      if (!result) continue;
      const at = Number(result[0].split('-')[0]);
      toEvent.push(at - s.completedAt);
      toClient.push(s.receivedAt - at);
    }
    return { toEvent: Math.round(pct(toEvent, 50)), toClient: Math.round(pct(toClient, 50)) };
  } finally {
    redis.disconnect();
  }
}

function row(name: string, samples: Sample[]) {
  const col = (k: Phase) => samples.map((s) => s[k]);
  return {
    path: name,
    n: samples.length,
    'p50 ms': Math.round(pct(col('totalMs'), 50)),
    'p95 ms': Math.round(pct(col('totalMs'), 95)),
    'submit p50': Math.round(pct(col('submitMs'), 50)),
    'queue+sandbox p50': Math.round(pct(col('queueAndStartMs'), 50)),
    'run+report p50': Math.round(pct(col('runAndReportMs'), 50)),
    'program p50': Math.round(pct(col('programMs'), 50)),
    'delivery p50': Math.round(pct(col('deliveryMs'), 50)),
  };
}

/**
 * Baselines at the same pace, in the same run: the physical floor (host python3, no sandbox, no
 * network) and what one local HTTP round trip costs on this machine when it comes after the same
 * idle pause (a VM pays for waking its CPUs; every hop of the real path pays it too).
 */
// Debian's own python3 (a `python3` earlier on PATH may be a version manager's shim script).
const hostPython = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

async function baselines(): Promise<{ python: number; http: number }> {
  const server = createServer((_req, res) => res.end('ok')).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  const python: number[] = [];
  const http: number[] = [];
  for (let i = 0; i < 10; i++) {
    await pause();
    let t = performance.now();
    spawnSync(hostPython, ['-c', code]);
    python.push(performance.now() - t);
    await pause();
    t = performance.now();
    await (await fetch(`http://127.0.0.1:${port}/`)).text();
    http.push(performance.now() - t);
  }
  server.close();
  return { python: pct(python, 50), http: pct(http, 50) };
}

async function measure(apiUrl: string, redis?: { url: string; prefix: string }) {
  const base = await baselines();
  const tokens = await Promise.all(Array.from({ length: concurrentClients }, () => newToken(apiUrl)));
  const token = tokens[0]!;
  // Warm up: images in the page cache, pools filled, JWKS fetched by the gateway.
  for (let i = 0; i < 3; i++) await restOnce(apiUrl, token);

  const restSeq: Sample[] = [];
  for (let i = 0; i < sequentialRuns; i++) {
    await pause();
    restSeq.push(await restOnce(apiUrl, token));
  }

  const ws = await wsClient(apiUrl, token);
  await ws.once();
  const wsSeq: Sample[] = [];
  for (let i = 0; i < sequentialRuns; i++) {
    await pause();
    wsSeq.push(await ws.once());
  }
  const cancelMs: number[] = [];
  for (let i = 0; i < cancelRuns; i++) cancelMs.push(await ws.cancelOnce());
  ws.close();

  const restPar = (
    await Promise.all(
      tokens.map(async (t) => {
        const out: Sample[] = [];
        for (let i = 0; i < runsPerClient; i++) out.push(await restOnce(apiUrl, t));
        return out;
      }),
    )
  ).flat();

  const clients = await Promise.all(tokens.map((t) => wsClient(apiUrl, t)));
  const wsPar = (
    await Promise.all(
      clients.map(async (c) => {
        const out: Sample[] = [];
        for (let i = 0; i < runsPerClient; i++) out.push(await c.once());
        c.close();
        return out;
      }),
    )
  ).flat();

  console.log(
    `\nEnd-to-end latency, python hello world (ms; phases are p50 of each phase on its own; ` +
      `sequential: one request every ${pauseMs} ms)`,
  );
  console.table([
    row('REST ?wait=true, sequential', restSeq),
    row('WebSocket execute→result, sequential', wsSeq),
    row(`REST ?wait=true, ${concurrentClients} clients`, restPar),
    row(`WebSocket, ${concurrentClients} clients`, wsPar),
  ]);
  console.log(
    `WebSocket cancel → result "cancelled" (n=${cancelRuns}): p50 ${pct(cancelMs, 50)} ms, p95 ${pct(cancelMs, 95)} ms`,
  );
  const p50 = (xs: Sample[]) =>
    pct(
      xs.map((s) => s.totalMs),
      50,
    );
  console.log(
    `Baselines at the same pace: host python3 -c (no sandbox) p50 ${Math.round(base.python)} ms, ` +
      `one local HTTP round trip p50 ${base.http.toFixed(1)} ms. Sequential p50 / host python: ` +
      `REST ${(p50(restSeq) / base.python).toFixed(1)}x, WebSocket ${(p50(wsSeq) / base.python).toFixed(1)}x.`,
  );
  if (redis) {
    const splits = [];
    for (const [name, samples] of [
      ['REST ?wait=true, sequential', restSeq],
      ['WebSocket execute→result, sequential', wsSeq],
    ] as const) {
      const d = await deliverySplit(redis.url, redis.prefix, samples);
      splits.push({
        path: name,
        'result row → result event p50': d.toEvent,
        'result event → client p50': d.toClient,
      });
    }
    console.table(splits);
  }
  console.log(
    'submit = client send → row inserted; queue+sandbox = row inserted → agent reported started;\n' +
      'run+report = started → result row written (program wall time in "program");\n' +
      'delivery = result row written → answer received by the client.',
  );
}

export async function run(): Promise<void> {
  const given = process.env['BENCH_API_URL'];
  if (given) {
    // The stack's Redis, for the split of delivery (the local stack's by default).
    return measure(given.replace(/\/$/, ''), {
      url: process.env['BENCH_REDIS_URL'] ?? 'redis://127.0.0.1:6379',
      prefix: process.env['BENCH_REDIS_PREFIX'] ?? 'muscode:',
    });
  }
  // A throwaway stack per isolation level (the agent's AGENT_ISOLATION; pool of 2 per image).
  for (const level of (process.env['BENCH_E2E_LEVELS'] ?? 'sandbox,jail').split(',')) {
    process.env['AGENT_ISOLATION'] = level.trim();
    console.log(`\n--- agent isolation level: ${level.trim()}`);
    const provided: Record<string, string> = {};
    const teardown = await setupStack({
      provide: (key: string, value: string) => {
        provided[key] = value;
      },
    } as unknown as TestProject);
    try {
      await measure(provided['apiUrl']!, { url: provided['redisUrl']!, prefix: provided['redisPrefix']! });
    } finally {
      await teardown();
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
