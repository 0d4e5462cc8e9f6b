/**
 * Throughput and CPU per execution against an isolate-like baseline, in one run.
 *
 * What it measures, for python hello world:
 *   - the baseline: the same program on the host in fresh namespaces with a dropped uid and
 *     rlimits (`unshare --pid --fork --mount --net --uts --ipc --mount-proc` + `setpriv` +
 *     `prlimit`), which is what isolate (Piston's and Judge0's sandbox) does per run;
 *   - MUSCode through its public HTTP API (`POST /api/v1/execute?wait=true` at the gateway), one
 *     throwaway stack per isolation level (BENCH_LEVELS, default "sandbox,owner,jail").
 * Each sequentially back to back (the next request as soon as the last answered) and with
 * BENCH_CLIENTS (default 8) closed-loop clients: p50, p95, runs/s, and CPU per run.
 *
 * CPU is read from cgroup v1 `cpuacct` counters, so it is the CPU these processes used whatever
 * else the machine runs: each of the stack's processes (gateway, control-plane, agent) is moved
 * into a cgroup of its own, so are the PostgreSQL backends serving its database and a private
 * redis-server; the agent puts its sandboxes under a cgroup parent of their own
 * (AGENT_CGROUP_PARENT: the runsc sandbox, gofer and the program); dockerd and containerd are
 * moved into one too, for the run, so the shims and runsc commands they start are counted there
 * (those daemons are shared: on a busy machine their column includes others' containers). The
 * host total (from /proc/stat) is printed beside, for a quiet machine.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync, existsSync } from 'node:fs';
import { once } from 'node:events';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import setupStack from '../tests/support/global-setup.js';
import { freePort, randomId } from '../tests/support/stack.js';

const code = "print('hello world')";
const sequentialRuns = Number(process.env['BENCH_SEQUENTIAL_RUNS'] ?? 30);
const clients = Number(process.env['BENCH_CLIENTS'] ?? 8);
const runsPerClient = Number(process.env['BENCH_RUNS_PER_CLIENT'] ?? 6);
const warmupRuns = 5;
const cpuacct = '/sys/fs/cgroup/cpuacct';
const hostPython = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

const groups = ['gateway', 'control-plane', 'agent', 'postgres', 'redis', 'docker daemons'] as const;
type Group = (typeof groups)[number] | 'sandboxes' | 'baseline';

/** cpuacct cgroups of one bench run, under /sys/fs/cgroup/cpuacct/<name>. */
function cpuGroups(name: string) {
  const dir = (g: Group) => `${cpuacct}/${name}/${g.replace(' ', '-')}`;
  for (const g of [...groups, 'baseline'] as const) mkdirSync(dir(g), { recursive: true });
  const moved = new Set<number>();
  return {
    /** Docker's cgroup parent for the stack's sandboxes (created by Docker in every controller). */
    sandboxParent: `/${name}/sandboxes`,
    procs: (g: Group) => `${dir(g)}/cgroup.procs`,
    move(pid: number, g: Group) {
      if (moved.has(pid)) return;
      try {
        writeFileSync(`${dir(g)}/cgroup.procs`, String(pid));
        moved.add(pid);
      } catch {
        // The process ended already.
      }
    },
    /** CPU used in the group so far, in ms. */
    usageMs(g: Group): number {
      try {
        return Number(readFileSync(`${dir(g)}/cpuacct.usage`, 'utf8').trim()) / 1e6;
      } catch {
        return 0; // Docker has not made the sandboxes' group yet.
      }
    },
    /** Moves everything back to the root group and removes the groups. */
    remove() {
      const controllers = readdirSync('/sys/fs/cgroup').filter((c) =>
        existsSync(`/sys/fs/cgroup/${c}/${name}`),
      );
      for (const c of controllers) {
        const walk = (d: string) => {
          for (const e of readdirSync(d, { withFileTypes: true }))
            if (e.isDirectory()) walk(`${d}/${e.name}`);
          for (const pid of readFileSync(`${d}/cgroup.procs`, 'utf8').split('\n').filter(Boolean)) {
            try {
              writeFileSync(`/sys/fs/cgroup/${c}/cgroup.procs`, pid);
            } catch {
              // Gone already.
            }
          }
          try {
            rmdirSync(d);
          } catch {
            // Docker may still hold it for a moment; a leftover empty cgroup is harmless.
          }
        };
        walk(`/sys/fs/cgroup/${c}/${name}`);
      }
    },
  };
}
type CpuGroups = ReturnType<typeof cpuGroups>;

/** Busy CPU of the whole host so far, in ms (/proc/stat, all but idle and iowait). */
function hostBusyMs(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = f as number[];
  return ((user! + nice! + system! + irq! + softirq! + steal!) * 1000) / 100; // USER_HZ = 100
}

function pidsOf(names: string[]): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (names.includes(readFileSync(`/proc/${e}/comm`, 'utf8').trim())) out.push(Number(e));
    } catch {
      // Ended while we looked.
    }
  }
  return out;
}

/** The stack's node processes, told apart by the Redis prefix in their environment. */
function stackPids(prefix: string): Array<{ pid: number; group: Group }> {
  const out: Array<{ pid: number; group: Group }> = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const environ = readFileSync(`/proc/${e}/environ`, 'utf8');
      if (!environ.includes(`_REDIS_PREFIX=${prefix}`)) continue;
      const cmd = readFileSync(`/proc/${e}/cmdline`, 'utf8');
      const group: Group | undefined = cmd.includes('gateway/src/main.ts')
        ? 'gateway'
        : cmd.includes('control-plane/src/main.ts')
          ? 'control-plane'
          : cmd.includes('runner-agent/src/main.ts')
            ? 'agent'
            : undefined;
      if (group) out.push({ pid: Number(e), group });
    } catch {
      // Not ours to read, or ended.
    }
  }
  return out;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
};

interface Measured {
  latencies: number[];
  wallMs: number;
  cpu: Record<string, number>;
  hostMs: number;
}

/** Runs `one` sequentially `n` times or with `c` clients, reading every counter around it. */
async function measure(
  cg: CpuGroups,
  counted: Group[],
  one: () => Promise<void>,
  shape: { clients: number; runs: number },
  tick?: () => Promise<void>,
): Promise<Measured> {
  const before = Object.fromEntries(counted.map((g) => [g, cg.usageMs(g)]));
  const hostBefore = hostBusyMs();
  const latencies: number[] = [];
  const started = performance.now();
  let ticking = true;
  const ticker = (async () => {
    while (ticking && tick) {
      await tick();
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  await Promise.all(
    Array.from({ length: shape.clients }, async () => {
      for (let i = 0; i < shape.runs; i++) {
        const t = performance.now();
        await one();
        latencies.push(performance.now() - t);
      }
    }),
  );
  const wallMs = performance.now() - started;
  ticking = false;
  await ticker;
  const cpu = Object.fromEntries(counted.map((g) => [g, cg.usageMs(g) - before[g]!]));
  return { latencies, wallMs, cpu, hostMs: hostBusyMs() - hostBefore };
}

function baselineOnce(cg: CpuGroups): Promise<void> {
  // sh joins the baseline's cgroup, then becomes the isolate-like sandbox: new pid, mount, net,
  // uts and ipc namespaces, a fresh /proc, rlimits, then uid/gid 65534 with no groups and no
  // new privileges, then the program.
  const script =
    `echo $$ > ${cg.procs('baseline')} && exec unshare --pid --fork --mount --net --uts --ipc --mount-proc ` +
    `prlimit --nproc=64 --nofile=256 --fsize=16777216 --as=536870912 ` +
    `setpriv --reuid=65534 --regid=65534 --clear-groups --no-new-privs ${hostPython} -c "${code}"`;
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.once('close', (status) => {
      if (status === 0 && out === 'hello world\n') resolve();
      else reject(new Error(`baseline: exit ${status}, ${JSON.stringify(out)} ${err}`));
    });
  });
}

async function newToken(apiUrl: string): Promise<string> {
  const id = randomId();
  const headers = { 'content-type': 'application/json' };
  const user = { email: `bench-${id}@example.com`, password: `Bench-${id}-Pass1`, username: `bench_${id}` };
  const reg = await fetch(`${apiUrl}/auth/register`, { method: 'POST', headers, body: JSON.stringify(user) });
  if (reg.status !== 201) throw new Error(`register: ${reg.status} ${await reg.text()}`);
  const login = await fetch(`${apiUrl}/auth/login`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ email: user.email, password: user.password }),
  });
  return ((await login.json()) as { data: { token: string } }).data.token;
}

async function restOnce(apiUrl: string, token: string): Promise<void> {
  const res = await fetch(`${apiUrl}/execute?wait=true`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ language: 'python', code }),
  });
  const body = (await res.json()) as { data?: { status: string; output: string } };
  if (res.status !== 200 || body.data?.status !== 'completed' || body.data.output !== 'hello world\n') {
    throw new Error(`execute?wait=true: ${res.status} ${JSON.stringify(body)}`);
  }
}

async function startRedis(cg: CpuGroups): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  cg.move(child.pid!, 'redis');
  for (let i = 0; i < 50; i++) {
    if (
      spawnSync('redis-cli', ['-p', String(port), 'ping'])
        .stdout?.toString()
        .includes('PONG')
    )
      break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

interface Row {
  system: string;
  seq: Measured;
  par: Measured;
  /** The idle pool after the runs: sandboxes and the memory their cgroups hold. */
  idle?: { sandboxes: number; mib: number };
}

/** The stack's sandboxes at rest: how many, and the host memory their cgroups hold (v1). */
async function idlePool(cg: CpuGroups): Promise<{ sandboxes: number; mib: number }> {
  await new Promise((r) => setTimeout(r, 3000)); // refills and wipes done
  const dir = `/sys/fs/cgroup/memory${cg.sandboxParent}`;
  const sandboxes = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).length;
  const bytes = Number(readFileSync(`${dir}/memory.usage_in_bytes`, 'utf8').trim());
  return { sandboxes, mib: bytes / 2 ** 20 };
}

async function level(cg: CpuGroups, isolation: string): Promise<Row> {
  const redis = await startRedis(cg);
  process.env['TEST_REDIS_URL'] = redis.url;
  process.env['AGENT_ISOLATION'] = isolation;
  process.env['AGENT_CGROUP_PARENT'] = cg.sandboxParent;
  const provided: Record<string, string> = {};
  const teardown = await setupStack({
    provide: (key: string, value: string) => {
      provided[key] = value;
    },
  } as unknown as TestProject);
  const db = new pg.Client({ connectionString: provided['databaseUrl']! });
  await db.connect();
  const dbName = new URL(provided['databaseUrl']!).pathname.slice(1);
  try {
    for (const { pid, group } of stackPids(provided['redisPrefix']!)) cg.move(pid, group);
    // PostgreSQL backends of the stack's database (new ones are picked up while measuring).
    const tick = async () => {
      const r = await db.query<{ pid: number }>(
        'select pid from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
        [dbName],
      );
      for (const { pid } of r.rows) cg.move(pid, 'postgres');
    };
    const apiUrl = provided['apiUrl']!;
    const tokens = await Promise.all(Array.from({ length: clients }, () => newToken(apiUrl)));
    for (let i = 0; i < warmupRuns; i++) await restOnce(apiUrl, tokens[0]!);
    await tick();
    const counted: Group[] = [...groups, 'sandboxes'];
    const seq = await measure(
      cg,
      counted,
      () => restOnce(apiUrl, tokens[0]!),
      { clients: 1, runs: sequentialRuns },
      tick,
    );
    let next = 0;
    const par = await measure(
      cg,
      counted,
      () => restOnce(apiUrl, tokens[next++ % clients]!),
      { clients, runs: runsPerClient },
      tick,
    );
    return { system: `MUSCode \`${isolation}\``, seq, par, idle: await idlePool(cg) };
  } finally {
    await db.end();
    await teardown();
    await redis.stop();
    delete process.env['TEST_REDIS_URL'];
    delete process.env['AGENT_CGROUP_PARENT'];
  }
}

const ms = (x: number) => Math.round(x);
const perRun = (m: Measured, g: string) => m.cpu[g]! / m.latencies.length;
const cpuPerRun = (m: Measured) => Object.values(m.cpu).reduce((a, b) => a + b, 0) / m.latencies.length;

function print(rows: Row[]) {
  const base = rows[0]!;
  console.log(
    `\nPython hello world: sequential back to back (n=${sequentialRuns}) and ${clients} closed-loop clients ` +
      `(${clients}×${runsPerClient}); CPU per run from cgroup counters; ratios against the isolate-like baseline.`,
  );
  console.table(
    rows.map((r) => ({
      system: r.system,
      'seq p50 ms': ms(pct(r.seq.latencies, 50)),
      'seq p95 ms': ms(pct(r.seq.latencies, 95)),
      [`${clients} clients runs/s`]: Number(((r.par.latencies.length * 1000) / r.par.wallMs).toFixed(1)),
      [`${clients} clients p50 ms`]: ms(pct(r.par.latencies, 50)),
      [`${clients} clients p95 ms`]: ms(pct(r.par.latencies, 95)),
      'CPU/run ms': ms(cpuPerRun(r.par)),
      'CPU/run vs baseline': Number((cpuPerRun(r.par) / cpuPerRun(base.par)).toFixed(1)),
      'host busy/run ms': ms(r.par.hostMs / r.par.latencies.length),
    })),
  );
  console.log(`CPU per run by process, ms (${clients} clients):`);
  console.table(
    rows.slice(1).map((r) => {
      const ours = ['gateway', 'control-plane', 'agent', 'postgres', 'redis'].reduce(
        (a, g) => a + perRun(r.par, g),
        0,
      );
      return {
        system: r.system,
        gateway: Number(perRun(r.par, 'gateway').toFixed(1)),
        'control-plane': Number(perRun(r.par, 'control-plane').toFixed(1)),
        agent: Number(perRun(r.par, 'agent').toFixed(1)),
        postgres: Number(perRun(r.par, 'postgres').toFixed(1)),
        redis: Number(perRun(r.par, 'redis').toFixed(1)),
        'ours (the five)': Number(ours.toFixed(1)),
        'sandboxes (runsc + program)': Number(perRun(r.par, 'sandboxes').toFixed(1)),
        'docker daemons (shared)': Number(perRun(r.par, 'docker daemons').toFixed(1)),
      };
    }),
  );
  for (const r of rows.slice(1)) {
    if (!r.idle || r.idle.sandboxes === 0) continue;
    console.log(
      `${r.system} at rest: ${r.idle.sandboxes} idle sandboxes hold ${Math.round(r.idle.mib)} MiB ` +
        `(${(r.idle.mib / r.idle.sandboxes).toFixed(1)} MiB each, cgroup memory incl. page cache)`,
    );
  }
  console.log(
    'seq = the next request as soon as the last answered; CPU/run = every counted group over the ' +
      `${clients}-client rows; "docker daemons" = dockerd, containerd and the shims and runsc ` +
      'commands they start (shared with anything else using this Docker Engine); host busy/run = the ' +
      "whole machine's busy CPU over the same window (meaningful only on a quiet machine).",
  );
}

export async function run(): Promise<void> {
  if (process.getuid?.() !== 0 || !existsSync(`${cpuacct}/cpuacct.usage`)) {
    throw new Error(
      'bench/throughput.ts needs root and cgroup v1 cpuacct (it moves processes between cgroups)',
    );
  }
  const cg = cpuGroups(`muscode-bench-${randomId()}`);
  const daemons = pidsOf(['dockerd', 'containerd']);
  try {
    for (const pid of daemons) cg.move(pid, 'docker daemons');
    const baseSeq = await measure(cg, ['baseline'], () => baselineOnce(cg), {
      clients: 1,
      runs: sequentialRuns,
    });
    const basePar = await measure(cg, ['baseline'], () => baselineOnce(cg), { clients, runs: runsPerClient });
    const rows: Row[] = [
      { system: 'isolate-like (unshare + setpriv + prlimit)', seq: baseSeq, par: basePar },
    ];
    for (const isolation of (process.env['BENCH_LEVELS'] ?? 'sandbox,owner,jail')
      .split(',')
      .filter((l) => l.trim())) {
      rows.push(await level(cg, isolation.trim()));
    }
    print(rows);
  } finally {
    cg.remove();
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
