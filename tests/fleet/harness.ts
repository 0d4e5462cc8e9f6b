import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { migrate } from '../../control-plane/src/infra/migrate.js';
import { freePort, imageRepo, randomId, root, waitFor } from '../support/stack.js';

/**
 * A fleet on one machine: agents in Linux network namespaces ("hosts") with their own
 * addresses, joined to a bridge; the control-plane, a Redis of its own (append-only) and a
 * PostgreSQL cluster of its own listen on the bridge address only (plus loopback for the test).
 * Nothing listens on any other interface. Every piece can be killed, cut off and restarted.
 */

const sh = (cmd: string, args: string[]) =>
  execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
const trySh = (cmd: string, args: string[]) => {
  try {
    return sh(cmd, args);
  } catch {
    return '';
  }
};

export interface Managed {
  name: string;
  child: ChildProcess;
  output: () => string;
  exited: Promise<unknown>;
}

function spawnManaged(name: string, cmd: string, args: string[], env: Record<string, string>): Managed {
  const child = spawn(cmd, args, {
    cwd: root,
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const keep = (b: Buffer) => {
    log = (log + b.toString()).slice(-300_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { name, child, output: () => log, exited: once(child, 'exit') };
}

async function stopManaged(p: Managed | undefined, signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000) {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill(signal);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
  await p.exited;
  clearTimeout(timer);
}

export interface AgentSpec {
  id: string;
  hostId: string;
  ns: string;
  address: string;
  hostVeth: string;
  metricsPort: number;
}

export interface Fleet {
  run: string;
  /** GET /health as an administrator (the public answer says only up or degraded). */
  health(): Promise<{ status: string; runners?: { id: string; healthy?: boolean }[] }>;
  bridgeAddress: string;
  apiUrl: string;
  cpMetricsUrl: string;
  databaseUrl: string;
  redisUrl: string;
  redisPrefix: string;
  region: string;
  agents: AgentSpec[];
  agentProcs: Map<string, Managed>;
  /** Starts agent `id` on its host; `as` starts a new agent with that id on the same host. */
  startAgent(id: string, as?: string): Managed;
  killAgent(id: string, signal?: NodeJS.Signals): Promise<void>;
  /** Cuts (false) or restores (true) one agent host's only link. */
  link(id: string, up: boolean): void;
  stopRedis(): Promise<void>;
  startRedis(): void;
  stopPostgres(): void;
  startPostgres(): void;
  restartControlPlane(): Promise<void>;
  /** Sandboxes of this fleet's agents that should not be there (see the implementation). */
  containers(): string[];
  /** docker ps lines of these containers, for failure messages. */
  describeContainers(ids: string[]): string;
  /** Every sandbox of this fleet's agents. */
  allContainers(): string[];
  redis(): Redis;
  db(): pg.Client;
  logs(): string;
  teardown(): Promise<void>;
}

export interface FleetOptions {
  agents: number;
  agentEnv?: Record<string, string>;
  cpEnv?: Record<string, string>;
}

const pgVersion = '15';

const runsDir = join(tmpdir(), 'muscode-fleet-runs');

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * The trap: every run records its id with the pid of the test process. Runs whose process is
 * gone (killed before its afterAll) are cleaned up by the next run; runs still going are not
 * touched, so several engineers can run the fleet tests at once.
 */
function reapDeadRuns(): void {
  mkdirSync(runsDir, { recursive: true });
  for (const name of readdirSync(runsDir)) {
    const [run, pids] = readFileSync(join(runsDir, name), 'utf8').split('\n');
    const owned = (pids ?? '')
      .split(' ')
      .map(Number)
      .filter((n) => n > 0);
    if (!run || alive(owned[0] ?? 0)) continue;
    for (const pid of owned.slice(1)) if (alive(pid)) trySh('kill', ['-9', String(pid)]);
    cleanupFleetResources(run);
    rmSync(join(runsDir, name), { force: true });
  }
}

/** Removes everything a fleet run made: also used by the trap for runs that crashed. */
export function cleanupFleetResources(run: string): void {
  for (const ns of trySh('ip', ['netns', 'list']).split('\n')) {
    const name = ns.split(' ')[0] ?? '';
    if (name.startsWith(`mf${run}`)) trySh('ip', ['netns', 'del', name]);
  }
  trySh('ip', ['link', 'del', `mfb${run}`]);
  for (let i = 0; i < 8; i++) trySh('ip', ['link', 'del', `mf${run}h${i}`]);
  if (trySh('pg_lsclusters', ['-h']).includes(`fleet${run}`)) {
    trySh('pg_dropcluster', ['--stop', pgVersion, `fleet${run}`]);
  }
}

export async function startFleet(opts: FleetOptions): Promise<Fleet> {
  const run = randomId(2);
  const procs: Managed[] = [];
  const tmp = mkdtempSync(join(tmpdir(), `muscode-fleet-${run}-`));
  reapDeadRuns();
  const runFile = join(runsDir, run);
  const record = () =>
    writeFileSync(runFile, `${run}\n${[process.pid, ...procs.map((p) => p.child.pid ?? 0)].join(' ')}`);
  record();
  const onExit = () => {
    for (const p of procs) p.child.kill('SIGKILL');
    cleanupFleetResources(run);
  };
  process.once('exit', onExit);
  try {
    return await build(opts, { run, procs, tmp, record, onExit, runFile });
  } catch (err) {
    onExit();
    process.removeListener('exit', onExit);
    rmSync(runFile, { force: true });
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

interface BuildState {
  run: string;
  procs: Managed[];
  tmp: string;
  record: () => void;
  onExit: () => void;
  runFile: string;
}

async function build(opts: FleetOptions, st: BuildState): Promise<Fleet> {
  const { run, procs, tmp, record, onExit, runFile } = st;
  // 10.<200..249>.<0..255>.0/24: one private subnet per run, on a bridge of its own.
  const subnet = `10.${200 + (parseInt(run.slice(0, 2), 16) % 50)}.${parseInt(run.slice(2, 4), 16)}`;
  const bridge = `mfb${run}`;
  const bridgeAddress = `${subnet}.1`;

  sh('ip', ['link', 'add', bridge, 'type', 'bridge']);
  sh('ip', ['addr', 'add', `${bridgeAddress}/24`, 'dev', bridge]);
  sh('ip', ['link', 'set', bridge, 'up']);

  const agents: AgentSpec[] = [];
  for (let i = 0; i < opts.agents; i++) {
    const ns = `mf${run}n${i}`;
    const hostVeth = `mf${run}h${i}`;
    const address = `${subnet}.${10 + i}`;
    sh('ip', ['netns', 'add', ns]);
    sh('ip', ['link', 'add', hostVeth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    sh('ip', ['link', 'set', hostVeth, 'master', bridge]);
    sh('ip', ['link', 'set', hostVeth, 'up']);
    sh('ip', ['netns', 'exec', ns, 'ip', 'addr', 'add', `${address}/24`, 'dev', 'eth0']);
    sh('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'eth0', 'up']);
    sh('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
    agents.push({
      id: `fleet-${run}-agent${i}`,
      hostId: `fleet-${run}-host${i}`,
      ns,
      address,
      hostVeth,
      metricsPort: 9400 + i,
    });
  }

  // Redis of our own, append-only, on the bridge address and loopback only.
  const redisPort = await freePort();
  const redisDir = join(tmp, 'redis');
  execFileSync('mkdir', ['-p', redisDir]);
  const redisArgs = [
    '--port',
    String(redisPort),
    '--bind',
    `${bridgeAddress} 127.0.0.1`,
    '--dir',
    redisDir,
    '--appendonly',
    'yes',
    '--appendfsync',
    'always',
    '--save',
    '',
    '--protected-mode',
    'no',
  ];
  let redisProc = spawnManaged('redis', 'redis-server', redisArgs, {});
  procs.push(redisProc);
  const redisUrl = `redis://${bridgeAddress}:${redisPort}`;
  await waitFor(
    'redis',
    async () => {
      const r = new Redis(redisUrl, {
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      r.on('error', () => undefined);
      try {
        await r.connect();
        return (await r.ping()) === 'PONG' ? true : undefined;
      } finally {
        r.disconnect();
      }
    },
    20_000,
    200,
  );

  // A PostgreSQL cluster of our own, so it can be stopped without touching anyone else's.
  const pgPort = await freePort();
  const cluster = `fleet${run}`;
  sh('pg_createcluster', [
    pgVersion,
    cluster,
    '-p',
    String(pgPort),
    '--',
    '--auth-local=trust',
    '--auth-host=trust',
  ]);
  writeFileSync(
    `/etc/postgresql/${pgVersion}/${cluster}/conf.d/fleet.conf`,
    "listen_addresses = '127.0.0.1'\nfsync = off\n",
  );
  sh('pg_ctlcluster', [pgVersion, cluster, 'start']);
  const databaseUrl = `postgres://postgres@127.0.0.1:${pgPort}/muscode_fleet`;
  await waitFor(
    'postgres',
    async () => {
      const c = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${pgPort}/postgres` });
      await c.connect();
      await c.query('CREATE DATABASE muscode_fleet');
      await c.end();
      return true;
    },
    30_000,
    300,
  );
  await migrate(databaseUrl, `${root}/migrations`);

  const [httpPort, rpcPort] = [await freePort(), await freePort()];
  const redisPrefix = `fleet-${run}:`;
  const region = `fleet-${run}`;
  const runnerToken = randomId(16);
  const keyFile = join(tmp, 'jwt.pem');
  writeFileSync(keyFile, generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }));

  const cpEnv = {
    CP_HOST: bridgeAddress,
    CP_HTTP_PORT: String(httpPort),
    CP_RPC_PORT: String(rpcPort),
    CP_DATABASE_URL: databaseUrl,
    CP_REDIS_URL: redisUrl,
    CP_REDIS_PREFIX: redisPrefix,
    CP_DEFAULT_REGION: region,
    CP_RUNNER_TOKEN: runnerToken,
    CP_JWT_PRIVATE_KEY_FILE: keyFile,
    CP_RUNNER_TTL_SECONDS: '3',
    CP_SWEEP_INTERVAL_MS: '1000',
    CP_SWEEP_GRACE_MS: '4000',
    CP_MAX_ATTEMPTS: '3',
    CP_MAX_ACTIVE_PER_USER: '4',
    CP_MAX_QUEUE_LENGTH: '6',
    CP_RATE_LIMIT_PER_IP: '100000',
    CP_RATE_LIMIT_PER_USER: '100000',
    CP_RATE_LIMIT_REGISTER_PER_IP: '100000',
    CP_LOG_LEVEL: 'info',
    ...opts.cpEnv,
  };
  let cp = spawnManaged(
    'control-plane',
    process.execPath,
    ['--import', 'tsx', 'control-plane/src/main.ts'],
    cpEnv,
  );
  procs.push(cp);
  const apiUrl = `http://${bridgeAddress}:${httpPort}/api/v1`;
  let adminToken: string | undefined;
  /** An administrator of this fleet's database, made once: /health details are theirs. */
  const admin = async (): Promise<string> => {
    if (adminToken) return adminToken;
    const email = `fleet-admin-${run}@example.com`;
    const password = `Fleet-${run}-Admin1`;
    const post = (path: string, body: unknown) =>
      fetch(`${apiUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const reg = await post('/auth/register', { email, password, username: `fleet_admin_${run}` });
    if (reg.status !== 201 && reg.status !== 409)
      throw new Error(`admin register: ${reg.status} ${await reg.text()}`);
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      await db.query("UPDATE users SET role = 'admin' WHERE email = $1", [email]);
    } finally {
      await db.end();
    }
    const login = (await (await post('/auth/login', { email, password })).json()) as {
      data: { token: string };
    };
    adminToken = login.data.token;
    return adminToken;
  };
  const health = async () => {
    const res = await fetch(`${apiUrl}/health`, { headers: { authorization: `Bearer ${await admin()}` } });
    return (await res.json()) as { status: string; runners?: { id: string; healthy?: boolean }[] };
  };

  const agentProcs = new Map<string, Managed>();
  const startAgent = (id: string, as = id): Managed => {
    const spec = agents.find((a) => a.id === id);
    if (!spec) throw new Error(`no agent ${id}`);
    if (as !== id) agents.push({ ...spec, id: as });
    const p = spawnManaged(
      id,
      'ip',
      ['netns', 'exec', spec.ns, process.execPath, '--import', 'tsx', 'runner-agent/src/main.ts'],
      {
        AGENT_ID: as,
        AGENT_HOST_ID: spec.hostId,
        AGENT_REGION: region,
        AGENT_REDIS_URL: redisUrl,
        AGENT_REDIS_PREFIX: redisPrefix,
        AGENT_CONTROL_PLANE_URL: `http://${bridgeAddress}:${rpcPort}`,
        AGENT_RUNNER_TOKEN: runnerToken,
        AGENT_CAPACITY: '1',
        AGENT_IMAGE_REPO: imageRepo,
        AGENT_HEARTBEAT_MS: '1000',
        AGENT_RECLAIM_IDLE_MS: '5000',
        AGENT_RECLAIM_INTERVAL_MS: '1000',
        AGENT_MAX_ATTEMPTS: '3',
        AGENT_BLOCK_MS: '1000',
        AGENT_DRAIN_TIMEOUT_MS: '6000',
        AGENT_METRICS_HOST: spec.address,
        AGENT_METRICS_PORT: String(spec.metricsPort),
        AGENT_LOG_LEVEL: 'info',
        // One warm sandbox for (the newest) python per agent: pools are exercised, the 2-core box is not flooded.
        AGENT_POOL_SIZE: '1',
        AGENT_POOL_IMAGES: 'trixie/python',
        ...opts.agentEnv,
      },
    );
    procs.push(p);
    record();
    agentProcs.set(as, p);
    return p;
  };

  const fleet: Fleet = {
    run,
    bridgeAddress,
    apiUrl,
    health,
    cpMetricsUrl: `http://${bridgeAddress}:${httpPort}/metrics`,
    databaseUrl,
    redisUrl,
    redisPrefix,
    region,
    agents,
    agentProcs,
    startAgent,
    async killAgent(id, signal = 'SIGKILL') {
      await stopManaged(agentProcs.get(id), signal, 60_000);
    },
    link(id, up) {
      const spec = agents.find((a) => a.id === id);
      if (!spec) throw new Error(`no agent ${id}`);
      sh('ip', ['link', 'set', spec.hostVeth, up ? 'up' : 'down']);
    },
    async stopRedis() {
      await stopManaged(redisProc, 'SIGTERM');
    },
    startRedis() {
      redisProc = spawnManaged('redis', 'redis-server', redisArgs, {});
      procs.push(redisProc);
      record();
    },
    stopPostgres() {
      sh('pg_ctlcluster', [pgVersion, cluster, 'stop', '-m', 'fast']);
    },
    startPostgres() {
      sh('pg_ctlcluster', [pgVersion, cluster, 'start']);
    },
    async restartControlPlane() {
      await stopManaged(cp, 'SIGKILL');
      cp = spawnManaged(
        'control-plane',
        process.execPath,
        ['--import', 'tsx', 'control-plane/src/main.ts'],
        cpEnv,
      );
      procs.push(cp);
    },
    containers() {
      // Left behind: a sandbox that served an execution (all are final when this is asked),
      // one that is not running, or one of an agent that is not running. Warm pool sandboxes
      // of live agents are expected.
      const live = new Set(
        [...agentProcs.entries()]
          .filter(([, p]) => p.child.exitCode === null && p.child.signalCode === null)
          .map(([id]) => id),
      );
      const out = trySh('/usr/bin/docker', [
        'ps',
        '-a',
        '--filter',
        `label=dev.muscode.managed=true`,
        '--format',
        '{{.ID}}|{{.Label "dev.muscode.runner"}}|{{.Label "dev.muscode.execution"}}|{{.State}}',
      ]);
      return out
        .split('\n')
        .map((l) => l.split('|'))
        .filter(([, runner]) => runner?.startsWith(`fleet-${run}-`))
        .filter(([, runner, execution, state]) => execution || state !== 'running' || !live.has(runner ?? ''))
        .map(([id]) => id ?? '');
    },
    describeContainers(ids) {
      if (ids.length === 0) return '(none)';
      return trySh('/usr/bin/docker', [
        'ps',
        '-a',
        '--no-trunc',
        '--format',
        '{{.ID}} {{.State}} {{.Status}} {{.Labels}}',
        ...ids.flatMap((i) => ['--filter', `id=${i}`]),
      ]);
    },
    allContainers() {
      return trySh('/usr/bin/docker', [
        'ps',
        '-aq',
        '--filter',
        `label=dev.muscode.managed=true`,
        '--format',
        '{{.ID}} {{.Label "dev.muscode.runner"}}',
      ])
        .split('\n')
        .filter((l) => l.includes(`fleet-${run}-`))
        .map((l) => l.split(' ')[0] ?? '');
    },
    redis: () => new Redis(redisUrl, { maxRetriesPerRequest: 3 }),
    db: () => new pg.Client({ connectionString: databaseUrl }),
    logs: () => procs.map((p) => `--- ${p.name}\n${p.output().slice(-8000)}`).join('\n'),
    async teardown() {
      for (const p of [...agentProcs.values()]) await stopManaged(p, 'SIGKILL');
      // Sandboxes of killed agents: remove what this run left, whoever made it.
      for (const id of fleet.allContainers()) trySh('/usr/bin/docker', ['rm', '-f', id]);
      await Promise.all(procs.map((p) => stopManaged(p, 'SIGKILL')));
      cleanupFleetResources(run);
      process.removeListener('exit', onExit);
      rmSync(tmp, { recursive: true, force: true });
      rmSync(runFile, { force: true });
    },
  };

  try {
    for (const a of agents) startAgent(a.id);
    await waitFor(
      'control-plane and agents',
      async () => {
        const body = await health();
        return (body.runners?.length ?? 0) === agents.length ? true : undefined;
      },
      90_000,
      500,
    );
  } catch (err) {
    process.stderr.write(fleet.logs());
    await fleet.teardown();
    throw err;
  }
  return fleet;
}
