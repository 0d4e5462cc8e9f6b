import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFinalStatus } from '@muscode/common';
import { waitFor } from '../support/stack.js';
import { startFleet, type Fleet } from './harness.js';

/**
 * Three runner agents as three hosts (network namespaces) in front of one control-plane, with
 * Redis and PostgreSQL of the test's own, so each can be killed, cut off and restarted.
 * Every test ends by checking the invariants: each execution reached exactly one final status
 * with its whole output, no sandbox is left, and the quota counted each submission once.
 */

let fleet: Fleet;
let token = '';
let userId = '';
const submitted: { id: string; stdout: string }[] = [];
/** Submissions that end otherwise than completed (checked by their own test). */
let uncheckedSubmissions = 0;

async function call(method: string, path: string, body?: unknown, auth = token) {
  const res = await fetch(`${fleet.apiUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${auth}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : undefined) as any };
}

/** A python program that prints `tag` lines around a sleep, so it is caught mid-run. */
function program(tag: string, sleepSeconds: number) {
  return {
    language: 'python',
    code: `import time\nprint("${tag} start", flush=True)\ntime.sleep(${sleepSeconds})\nprint("${tag} done")\n`,
    timeout: 15,
  };
}

async function submit(tag: string, sleepSeconds: number): Promise<string> {
  const r = await call('POST', '/execute', program(tag, sleepSeconds));
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  submitted.push({ id: r.body.data.executionId, stdout: `${tag} start\n${tag} done\n` });
  return r.body.data.executionId as string;
}

interface Row {
  status: string;
  stdout: Buffer | null;
  runner_id: string | null;
  attempt: number;
  message: string | null;
}

async function row(id: string): Promise<Row> {
  const db = fleet.db();
  await db.connect();
  try {
    const r = await db.query<Row>(
      'SELECT status, stdout, runner_id, attempt, message FROM executions WHERE id = $1',
      [id],
    );
    if (!r.rows[0]) throw new Error(`no execution ${id}`);
    return r.rows[0];
  } finally {
    await db.end();
  }
}

/** Pids of agents still running (a killed or drained one is skipped). */
const liveAgentPids = () =>
  [...fleet.agentProcs.values()]
    .filter((p) => p.child.exitCode === null && p.child.signalCode === null)
    .map((p) => p.child.pid ?? 0);

const final = (s: string) => !['queued', 'running'].includes(s);

async function waitFinal(id: string, timeoutMs = 90_000): Promise<Row> {
  return waitFor(
    `execution ${id} to finish`,
    async () => {
      const r = await row(id);
      return final(r.status) ? r : undefined;
    },
    timeoutMs,
    300,
  );
}

async function waitRunningOn(id: string): Promise<string> {
  return waitFor(
    `execution ${id} to run`,
    async () => {
      const r = await row(id);
      return r.status === 'running' && r.runner_id ? r.runner_id : undefined;
    },
    60_000,
    100,
  );
}

/** Every submission so far: one final status, whole output, no sandbox left, quota counted once. */
async function checkInvariants(): Promise<void> {
  const redis = fleet.redis();
  try {
    for (const s of submitted) {
      const r = await waitFinal(s.id);
      expect(r.status, `${s.id}: ${r.message ?? ''}`).toBe('completed');
      expect(r.stdout?.toString()).toBe(s.stdout);
      const events = await redis.xrange(`${fleet.redisPrefix}exec:{${s.id}}:events`, '-', '+');
      const results = events.filter(
        ([, f]) => (JSON.parse(f[1] ?? '{}') as { type?: string }).type === 'result',
      );
      expect(results, `${s.id} result events`).toHaveLength(1);
    }
  } finally {
    redis.disconnect();
  }
  try {
    await waitFor(
      'sandboxes to be removed',
      async () => (fleet.containers().length === 0 ? true : undefined),
      30_000,
      500,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}: ${fleet.describeContainers(fleet.containers())}`);
  }
  const db = fleet.db();
  await db.connect();
  try {
    const q = await db.query<{ n: number }>(
      'SELECT executions_today AS n FROM user_quotas WHERE user_id = $1',
      [userId],
    );
    expect(q.rows[0]?.n).toBe(submitted.length + uncheckedSubmissions);
  } finally {
    await db.end();
  }
}

beforeAll(async () => {
  fleet = await startFleet({ agents: 3 });
  const email = `fleet-${fleet.run}@example.com`;
  const password = `Fleet-${fleet.run}-Pass1`;
  const reg = await call('POST', '/auth/register', { email, password, username: `fleet_${fleet.run}` }, '');
  expect(reg.status, JSON.stringify(reg.body)).toBe(201);
  const login = await call('POST', '/auth/login', { email, password }, '');
  token = login.body.data.token;
  userId = login.body.data.user.id;
}, 180_000);

afterAll(async () => {
  if (process.env['TEST_KEEP_LOGS']) process.stderr.write(fleet.logs());
  await fleet?.teardown();
}, 120_000);

describe('a fleet of three hosts', () => {
  it('spreads jobs over the agents', async () => {
    const ids = await Promise.all([0, 1, 2, 3].map((i) => submit(`spread${i}`, 1)));
    const runners = new Set<string>();
    for (const id of ids) runners.add((await waitFinal(id)).runner_id ?? '');
    expect(runners.size).toBeGreaterThanOrEqual(2);
    await checkInvariants();
  });

  it('reclaims the job of an agent killed mid-run; a new agent on its host reaps its sandbox', async () => {
    const id = await submit('kill', 4);
    const victim = await waitRunningOn(id);
    await fleet.killAgent(victim, 'SIGKILL');
    const r = await waitFinal(id);
    expect(r.status).toBe('completed');
    expect(r.runner_id).not.toBe(victim);
    expect(r.attempt).toBeGreaterThanOrEqual(2);
    // The killed agent's sandbox is still there until an agent of its host cleans it up.
    expect(fleet.containers().length).toBeGreaterThan(0);
    fleet.startAgent(victim, `${victim}-new`);
    await checkInvariants();
  });

  it('an agent restarted after kill -9 re-runs its own pending job at once', async () => {
    const id = await submit('restart-own', 2);
    const agent = await waitRunningOn(id);
    // Nobody else may take it: the others are frozen until it is done.
    const others = [...fleet.agentProcs.entries()]
      .filter(([name, p]) => name !== agent && p.child.exitCode === null && p.child.signalCode === null)
      .map(([, p]) => p.child.pid ?? 0);
    for (const pid of others) process.kill(pid, 'SIGSTOP');
    try {
      await fleet.killAgent(agent, 'SIGKILL');
      fleet.startAgent(agent);
      const r = await waitFinal(id);
      expect(r.status).toBe('completed');
      expect(r.runner_id).toBe(agent);
      expect(r.attempt).toBe(2);
    } finally {
      for (const pid of others) process.kill(pid, 'SIGCONT');
    }
    await checkInvariants();
  });

  it('survives a host cut off mid-run and back', async () => {
    const id = await submit('partition', 4);
    const cut = await waitRunningOn(id);
    fleet.link(cut, false);
    try {
      const r = await waitFinal(id);
      expect(r.runner_id).not.toBe(cut);
    } finally {
      fleet.link(cut, true);
    }
    // Back on the network, it heartbeats again and takes jobs again.
    await waitFor(
      'the cut-off agent to be live',
      async () => {
        const body = await fleet.health();
        return body.runners?.some((x) => x.id === cut) ? true : undefined;
      },
      60_000,
      500,
    );
    await Promise.all([0, 1, 2].map((i) => submit(`after-partition${i}`, 0)));
    await checkInvariants();
  });

  it('keeps queued jobs across a Redis restart, and everyone reconnects', async () => {
    const pids = liveAgentPids();
    for (const pid of pids) process.kill(pid, 'SIGSTOP');
    try {
      await Promise.all([0, 1, 2].map((i) => submit(`redis${i}`, 0)));
      await fleet.stopRedis();
      try {
        // While Redis is down, a submission is refused with 503, not a 500, and takes no quota.
        const down = await call('POST', '/execute', program('redis-down', 0));
        expect(down.status, JSON.stringify(down.body)).toBe(503);
        expect(down.headers.get('retry-after')).toBeTruthy();
      } finally {
        fleet.startRedis();
      }
    } finally {
      for (const pid of pids) process.kill(pid, 'SIGCONT');
    }
    // The control-plane reconnects by itself: new submissions are accepted again.
    await waitFor(
      'submissions after the restart',
      async () => {
        const r = await call('POST', '/execute', program('redis-after', 0));
        if (r.status !== 200) return undefined;
        submitted.push({ id: r.body.data.executionId, stdout: 'redis-after start\nredis-after done\n' });
        return true;
      },
      30_000,
      500,
    );
    await checkInvariants();
  });

  it('answers 503 while PostgreSQL is down and loses no result reported meanwhile', async () => {
    const id = await submit('pg', 3);
    await waitRunningOn(id);
    fleet.stopPostgres();
    try {
      const r = await call('GET', `/execute/${id}`);
      expect(r.status).toBe(503);
      expect(r.body.success).toBe(false);
      expect(r.headers.get('retry-after')).toBeTruthy();
      // The run ends while the database is down; its report is retried.
      await new Promise((res) => setTimeout(res, 5000));
    } finally {
      fleet.startPostgres();
    }
    await waitFor(
      'the API to answer again',
      async () => ((await call('GET', `/execute/${id}`)).status === 200 ? true : undefined),
      30_000,
      500,
    );
    await checkInvariants();
  });

  it('delivers results through a control-plane restart mid-run', async () => {
    const id = await submit('cp-restart', 3);
    await waitRunningOn(id);
    await fleet.restartControlPlane();
    await waitFor(
      'the control-plane to be back',
      async () => ((await fetch(`${fleet.apiUrl}/health`)).status < 500 ? true : undefined),
      60_000,
      500,
    );
    await checkInvariants();
  });

  it('re-queues an execution whose job vanished from Redis', async () => {
    const pids = liveAgentPids();
    for (const pid of pids) process.kill(pid, 'SIGSTOP');
    const redis = fleet.redis();
    try {
      const id = await submit('vanished', 0);
      const stream = `${fleet.redisPrefix}jobs:${fleet.region}`;
      const waiting = `${fleet.redisPrefix}queue:${fleet.region}:jobs`;
      const entries = await redis.xrange(stream, '-', '+');
      const mine = entries.filter(([, f]) => (f[1] ?? '').includes(id));
      expect(mine).toHaveLength(1);
      await redis.xdel(stream, mine[0]?.[0] ?? '');
      // The sweeper notices after its grace time and queues the job again from the database:
      // into the fair queue, and into the stream once the (stopped) agents have slots again.
      await waitFor(
        'the job to be queued again',
        async () => {
          const again = await redis.xrange(stream, '-', '+');
          const inStream = again.some(([, f]) => (f[1] ?? '').includes(id));
          return inStream || (await redis.hexists(waiting, id)) === 1 ? true : undefined;
        },
        30_000,
        500,
      );
    } finally {
      for (const pid of pids) process.kill(pid, 'SIGCONT');
      redis.disconnect();
    }
    await checkInvariants();
  });

  it('ends a job out of attempts as internal_error and dead-letters it', async () => {
    // A job that already used every attempt (as a poison job that crashed its agents would).
    const pids = liveAgentPids();
    for (const pid of pids) process.kill(pid, 'SIGSTOP');
    const redis = fleet.redis();
    let id = '';
    try {
      // A stopped agent whose XREADGROUP is still blocked in Redis would be handed the job by
      // Redis itself; once AGENT_BLOCK_MS (1 s) has passed, none is blocked any more.
      await new Promise((r) => setTimeout(r, 1500));
      const r = await call('POST', '/execute', program('poison', 0));
      expect(r.status).toBe(200);
      id = r.body.data.executionId;
      const stream = `${fleet.redisPrefix}jobs:${fleet.region}`;
      const [entry] = (await redis.xrange(stream, '-', '+')).filter(([, f]) => (f[1] ?? '').includes(id));
      let raw: string;
      if (entry) {
        // Nobody has it: the job replaced below is the only one an agent will read.
        const pending = (await redis.xpending(stream, 'runners', '-', '+', 100)) as [string, ...unknown[]][];
        expect(pending.map(([pid]) => pid)).not.toContain(entry[0]);
        raw = entry[1][1] ?? '{}';
        await redis.xdel(stream, entry[0]);
      } else {
        // Still in the fair queue (the stopped agents' slots lapsed): take it out of there.
        const waiting = `${fleet.redisPrefix}queue:${fleet.region}`;
        raw = (await redis.hget(`${waiting}:jobs`, id)) ?? '{}';
        const owner = (JSON.parse(raw) as { ownerId?: string }).ownerId ?? '';
        await redis.hdel(`${waiting}:jobs`, id);
        await redis.lrem(`${waiting}:wait:${owner}`, 0, id);
      }
      const job = JSON.parse(raw) as Record<string, unknown>;
      expect(job['executionId']).toBe(id);
      await redis.xadd(stream, '*', 'job', JSON.stringify({ ...job, attemptBase: 3 }));
      await redis.xadd(stream, '*', 'job', '{"not":"a job"}');
    } finally {
      for (const pid of pids) process.kill(pid, 'SIGCONT');
    }
    try {
      const r = await waitFinal(id);
      expect(r.status).toBe('internal_error');
      expect(r.message).toMatch(/abandoned after 3 attempts/);
      const dead = await waitFor(
        'two dead letters',
        async () => {
          const d = await redis.xrange(`${fleet.redisPrefix}jobs:${fleet.region}:dead`, '-', '+');
          return d.length >= 2 ? d : undefined;
        },
        30_000,
        300,
      );
      const reasons = dead.map(([, f]) => f[f.indexOf('reason') + 1]).sort();
      expect(reasons).toEqual(['attempts', 'malformed']);
    } finally {
      redis.disconnect();
    }
    // Counted once in the quota like any other submission.
    uncheckedSubmissions += 1;
  });

  it('dead-letters a poison job that kills its agent on every attempt', async () => {
    const r = await call('POST', '/execute', { ...program('poison-real', 20), timeout: 30 });
    expect(r.status).toBe(200);
    const id = r.body.data.executionId as string;
    uncheckedSubmissions += 1;
    for (let attempt = 1; attempt <= 3; attempt++) {
      const victim = await waitFor(
        `attempt ${attempt} to run`,
        async () => {
          const x = await row(id);
          return x.status === 'running' && x.attempt === attempt ? (x.runner_id ?? undefined) : undefined;
        },
        60_000,
        100,
      );
      await fleet.killAgent(victim, 'SIGKILL');
      fleet.startAgent(victim, `${victim}-p${attempt}`);
    }
    const done = await waitFinal(id);
    expect(done.status).toBe('internal_error');
    expect(done.message).toMatch(/abandoned after 3 attempts/);
    const redis = fleet.redis();
    try {
      // The agent records the abandoned result first, then dead-letters the entry: wait for it.
      const mine = await waitFor(
        'the dead letter',
        async () => {
          const dead = await redis.xrange(`${fleet.redisPrefix}jobs:${fleet.region}:dead`, '-', '+');
          const found = dead.filter(([, f]) => (f[f.indexOf('job') + 1] ?? '').includes(id));
          return found.length > 0 ? found : undefined;
        },
        30_000,
        300,
      );
      expect(mine).toHaveLength(1);
      expect(mine[0]?.[1][mine[0][1].indexOf('reason') + 1]).toBe('attempts');
    } finally {
      redis.disconnect();
    }
    await checkInvariants();
  }, 150_000); // three kill-and-restart rounds: each waits for a reclaim and a new agent's start

  it('caps each user and bounds the queue with 429 and Retry-After, counting no quota for them', async () => {
    const other = async (name: string) => {
      const email = `${name}-${fleet.run}@example.com`;
      const password = `Other-${fleet.run}-Pass1`;
      await call('POST', '/auth/register', { email, password, username: `${name}_${fleet.run}` }, '');
      const login = await call('POST', '/auth/login', { email, password }, '');
      return login.body.data.token as string;
    };
    const [second, third] = [await other('second'), await other('third')];
    const pids = liveAgentPids();
    for (const pid of pids) process.kill(pid, 'SIGSTOP');
    const othersIds: string[] = [];
    try {
      // One user floods: the cap (4 queued or running) stops it, not the others.
      for (let i = 0; i < 4; i++) await submit(`flood${i}`, 0);
      const capped = await call('POST', '/execute', program('flood-more', 0));
      expect(capped.status).toBe(429);
      expect(capped.body.error.code).toBe('too_many_active_executions');
      expect(Number(capped.headers.get('retry-after'))).toBeGreaterThan(0);
      for (let i = 0; i < 2; i++) {
        const r = await call('POST', '/execute', program(`second${i}`, 0), second);
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        othersIds.push(r.body.data.executionId as string);
      }
      // The region's queue holds 6 jobs now: its bound.
      const full = await call('POST', '/execute', program('third', 0), third);
      expect(full.status).toBe(429);
      expect(full.body.error.code).toBe('queue_full');
      expect(Number(full.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      for (const pid of pids) process.kill(pid, 'SIGCONT');
    }
    for (const id of othersIds) expect((await waitFinal(id)).status).toBe('completed');
    await checkInvariants();
  });

  it('drains on SIGTERM: the running job finishes on that agent, which then exits', async () => {
    const id = await submit('drain', 2);
    const agent = await waitRunningOn(id);
    const proc = fleet.agentProcs.get(agent);
    proc?.child.kill('SIGTERM');
    const [code] = (await proc?.exited) as [number | null];
    expect(code).toBe(0);
    const r = await row(id);
    expect(r.status).toBe('completed');
    expect(r.runner_id).toBe(agent);
    expect(r.attempt).toBe(1);
    await checkInvariants();
  });

  it('bounds the drain: a job longer than the drain timeout is left to another agent', async () => {
    const id = await submit('drain-bounded', 12);
    const agent = await waitRunningOn(id);
    const proc = fleet.agentProcs.get(agent);
    proc?.child.kill('SIGTERM');
    const [code] = (await proc?.exited) as [number | null];
    expect(code).toBe(0);
    // It left after the drain timeout (6 s in this fleet) and before the 12 s job ended: the
    // job is not final when the agent is gone.
    expect(isFinalStatus((await row(id)).status)).toBe(false);
    const r = await waitFinal(id);
    expect(r.status).toBe('completed');
    expect(r.runner_id).not.toBe(agent);
    expect(r.attempt).toBe(2);
    fleet.startAgent(agent, `${agent}-back`);
    await checkInvariants();
  });

  it('lists the fleet to admins only, with the drained agent gone', async () => {
    const plain = await call('GET', '/runners');
    expect(plain.status).toBe(403);
    const db = fleet.db();
    await db.connect();
    await db.query("UPDATE users SET role = 'admin' WHERE id = $1", [userId]);
    await db.end();
    const login = await call(
      'POST',
      '/auth/login',
      { email: `fleet-${fleet.run}@example.com`, password: `Fleet-${fleet.run}-Pass1` },
      '',
    );
    const admin = login.body.data.token as string;
    const list = await waitFor(
      'a gone agent',
      async () => {
        const r = await call('GET', '/runners', undefined, admin);
        expect(r.status).toBe(200);
        const rows = r.body.data as {
          id: string;
          state: string;
          region: string;
          hostId: string;
          capacity: number;
          pools: unknown[];
        }[];
        const live = rows.filter((x) => x.state === 'live').length;
        return rows.some((x) => x.state === 'gone') && live >= 2 ? rows : undefined;
      },
      30_000,
      500,
    );
    expect(list.filter((x) => x.state === 'live').length).toBeGreaterThanOrEqual(2);
    expect(
      list.every(
        (x) =>
          x.region === fleet.region && x.capacity === 1 && x.hostId.startsWith(`fleet-${fleet.run}-host`),
      ),
    ).toBe(true);
    for (const live of list.filter((x) => x.state === 'live')) {
      expect(live.pools).toEqual([{ name: 'warm', warm: expect.any(Number), target: 1 }]);
    }
  });

  it('exposes Prometheus metrics on the control-plane and on each agent', async () => {
    const cp = await (await fetch(fleet.cpMetricsUrl)).text();
    expect(cp).toMatch(new RegExp(`muscode_queue_depth\\{[^}]*region="${fleet.region}"`));
    expect(cp).toMatch(/muscode_executions_finished_total\{[^}]*status="completed"[^}]*\} [1-9]/);
    expect(cp).toMatch(/muscode_execution_queue_wait_seconds_count/);
    expect(cp).toMatch(/muscode_runner_heartbeat_age_seconds/);
    expect(cp).toMatch(/muscode_runner_pool_warm\{[^}]*pool="warm"/);
    const live = fleet.agents.find((a) => {
      const child = fleet.agentProcs.get(a.id)?.child;
      return child && child.exitCode === null && child.signalCode === null;
    });
    const agentText = await (await fetch(`http://${live?.address}:${live?.metricsPort}/metrics`)).text();
    expect(agentText).toMatch(/muscode_agent_jobs_taken_total\{[^}]*source="read"/);
    expect(agentText).toMatch(/muscode_agent_heartbeats_total/);
    // The warm pool started sandboxes, and each start was timed.
    expect(agentText).toMatch(
      /muscode_agent_sandbox_start_seconds_count\{[^}]*outcome="started"[^}]*\} [1-9]/,
    );
  });
});
