/**
 * The sandbox engine alone (no control-plane, no Redis): python hello world, agent side, from
 * "job read" to "result known", on the real Docker + runsc, for
 *   - naive: a fresh container per run, create → start → wait → logs → remove (the spec's
 *     executor), program given as the command;
 *   - each isolation level (sandbox, owner, jail) with its warm pool and prepared interpreter,
 *     through the agent's own code (warm pool → launcher session → executeOnSession, cgroup
 *     peak memory included), and the jail level once more without the prepared interpreter.
 * For each: sequential latency p50/p95 (for the pooled levels, each run starts once the pool
 * is at rest: full, interpreters loaded, no removal under way), executions/s with 8 concurrent submitters, and CPU-seconds
 * per execution (machine-wide from /proc/stat, and Docker's cpuacct cgroup), then ratios
 * against naive. The machine is shared: other work shows up in the CPU figures.
 *
 *   npm run bench -- sandbox           BENCH_SANDBOX_QUICK=1 for fewer runs
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import Docker from 'dockerode';
import { createLogger, defaultJobLimits, sandboxImageName, type Job, type JobLimits } from '@muscode/common';
import { sandboxSpec, type Isolation } from '../runner-agent/src/engine/container-spec.js';
import { executeOnSession } from '../runner-agent/src/engine/run.js';
import { createWarmPool } from '../runner-agent/src/pool/warm-pool.js';
import { createCgroupMemory } from '../runner-agent/src/sandbox/cgroup.js';
import { createDockerDriver } from '../runner-agent/src/sandbox/docker.js';
import { jobIds, manifest, newestLanguage, sourceJob } from '../tests/support/sandbox-pool.js';
import { imageRepo } from '../tests/support/stack.js';

const quick = process.env['BENCH_SANDBOX_QUICK'] === '1';
const code = "print('hello world')";
const submitters = 8;
const runnerId = `bench-${process.pid}`;
const socketPath = '/var/run/docker.sock';
const lang = newestLanguage('python');
const image = sandboxImageName(lang.image, imageRepo);
const limits: JobLimits = defaultJobLimits(manifest, lang);
const lm = manifest.limits;
const log = createLogger('bench', 'warn');

interface Measure {
  name: string;
  p50: number;
  p95: number;
  perSecond: number;
  cpuMachine: number;
  cpuDocker: number;
  errors: number;
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

/** Busy CPU-seconds of the whole machine so far (/proc/stat, all but idle and iowait). */
function machineCpuSeconds(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const busy = fields.reduce((a, b) => a + b, 0) - fields[3]! - fields[4]!;
  return busy / 100;
}

/** CPU-seconds of every Docker container so far (runsc's sandbox processes included). */
function dockerCpuSeconds(): number {
  try {
    return Number(readFileSync('/sys/fs/cgroup/cpuacct/docker/cpuacct.usage', 'utf8')) / 1e9;
  } catch {
    return NaN;
  }
}

const nextId = jobIds('8000');
const job = (ownerId: string): Job => sourceJob(nextId(), ownerId, lang, code, limits);

/** Runs `count` executions, `concurrency` at a time; returns runs/s and CPU-s per run. */
async function throughput(count: number, one: (submitter: number) => Promise<boolean>) {
  let next = 0;
  let errors = 0;
  const cpu0 = machineCpuSeconds();
  const dcpu0 = dockerCpuSeconds();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: submitters }, async (_, s) => {
      while (next < count) {
        next++;
        if (!(await one(s))) errors++;
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  return {
    perSecond: count / seconds,
    cpuMachine: (machineCpuSeconds() - cpu0) / count,
    cpuDocker: (dockerCpuSeconds() - dcpu0) / count,
    errors,
  };
}

async function naive(): Promise<Measure> {
  const docker = new Docker({ socketPath });
  const runOnce = async (): Promise<boolean> => {
    const container = await docker.createContainer({
      Image: image,
      Entrypoint: ['python3', '-c', code],
      User: '1000:1000',
      NetworkDisabled: true,
      Labels: { 'dev.muscode.managed': 'true', 'dev.muscode.runner': runnerId },
      HostConfig: {
        Runtime: 'runsc',
        NetworkMode: 'none',
        ReadonlyRootfs: true,
        CapDrop: ['ALL'],
        SecurityOpt: ['no-new-privileges'],
        Memory: (limits.memoryMb + 32) * 1024 * 1024,
        NanoCpus: 1e9,
        PidsLimit: 256,
      },
    });
    try {
      await container.start();
      const status = (await container.wait()) as { StatusCode: number };
      const logs = await container.logs({ stdout: true, stderr: true });
      return status.StatusCode === 0 && logs.toString('latin1').includes('hello world');
    } finally {
      await container.remove({ force: true });
    }
  };
  const latencies: number[] = [];
  for (let i = 0; i < (quick ? 4 : 10); i++) {
    const t = performance.now();
    await runOnce();
    latencies.push(performance.now() - t);
  }
  const tp = await throughput(quick ? 8 : 24, runOnce);
  return { name: 'naive', p50: percentile(latencies, 50), p95: percentile(latencies, 95), ...tp };
}

async function level(isolation: Isolation, prepared = true): Promise<Measure> {
  const driver = createDockerDriver(socketPath);
  const cgroup = createCgroupMemory('/sys/fs/cgroup/memory/docker');
  const removals = new Set<Promise<unknown>>();
  const size = isolation === 'sandbox' ? submitters : 2;
  const pool = createWarmPool({
    driver,
    specFor: (img) =>
      sandboxSpec({
        image: img,
        runtime: 'runsc',
        runnerId,
        limits: {
          ...limits,
          processes: lm.processes.max,
          openFiles: lm.openFiles.max,
          fileSizeBytes: lm.fileSizeBytes.max,
        },
        memoryOverheadMb: 32,
        isolation,
        ...(prepared && lang.prepare ? { prepare: { command: lang.prepare, limits } } : {}),
      }),
    preparedFor: () => (prepared ? lang.id : undefined),
    images: [image],
    config: { isolation, size, maxRuns: 1000, maxAgeMs: 600_000, startConcurrency: availableParallelism() },
    log,
    track: (p) => {
      const t = p.catch(() => undefined);
      removals.add(t);
      void t.finally(() => removals.delete(t));
    },
  });
  // Warm: at least n pooled sandboxes there, each with its prepared interpreter loaded, and no
  // sandbox start under way.
  const waitIdle = async (n: number) => {
    const deadline = Date.now() + 60_000;
    const atRest = () =>
      pool.idleCount() >= n && pool.readyCount() === pool.idleCount() && pool.startingCount() === 0;
    while (!atRest() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  };
  /** One execution, as the agent does it: take a sandbox, run, hand it back. */
  const runOnce = async (owner: string): Promise<{ ok: boolean; ms: number }> => {
    const t = performance.now();
    const lease = await pool.acquire(image, owner);
    const r = await executeOnSession({
      session: lease.session,
      job: job(owner),
      lang,
      graceMs: 5000,
      cgroup,
    });
    const ms = performance.now() - t;
    if (r.reusable && isolation !== 'sandbox') {
      lease.release(await lease.session.nextReady(3000));
    } else lease.release(false);
    return { ok: r.verdict === 'completed' && r.stdout.toString() === 'hello world\n', ms };
  };

  pool.fill();
  await waitIdle(size);
  // Reused levels: the first run of a sandbox warms it; measure from the second on.
  if (isolation !== 'sandbox') await runOnce('owner-0');
  const latencies: number[] = [];
  for (let i = 0; i < (quick ? 8 : 30); i++) {
    // Warm latency is measured with the pool at rest: full, prepared, nothing being removed.
    // (Back to back, each run would share the CPU with the last one's refill or re-prepare;
    // what that costs shows in the executions/s below.)
    await waitIdle(size);
    await Promise.allSettled([...removals]);
    const r = await runOnce('owner-0');
    if (!r.ok) throw new Error(`${isolation}: hello world failed`);
    latencies.push(r.ms);
  }
  await waitIdle(isolation === 'sandbox' ? size : 1);
  const count = isolation === 'sandbox' ? (quick ? 16 : 40) : quick ? 80 : 240;
  const tp = await throughput(count, async (s) => (await runOnce(`owner-${s}`)).ok);
  await pool.stop();
  await Promise.allSettled([...removals]);
  await driver.reap(runnerId);
  return {
    name: prepared ? isolation : `${isolation}*`,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    ...tp,
  };
}

export async function run(): Promise<void> {
  const driver = createDockerDriver(socketPath);
  await driver.reap(runnerId);
  const results: Measure[] = [];
  results.push(await naive());
  for (const isolation of ['sandbox', 'owner', 'jail'] as const) results.push(await level(isolation));
  // What the prepared interpreter is worth: the same jail level, python started per run.
  results.push(await level('jail', false));
  const base = results[0]!;
  const f = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '-');
  console.log(
    `python hello world, agent side (job read → result), ${submitters} concurrent submitters, ${availableParallelism()} cores`,
  );
  console.log(
    'level    p50 ms  p95 ms  exec/s  CPU-s/exec (machine, docker)  p50 vs naive  exec/s vs naive  errors',
  );
  for (const r of results) {
    console.log(
      [
        r.name.padEnd(8),
        f(r.p50).padStart(6),
        f(r.p95).padStart(7),
        f(r.perSecond, 2).padStart(7),
        `${f(r.cpuMachine, 3)}, ${f(r.cpuDocker, 3)}`.padStart(29),
        `${f(base.p50 / r.p50)}x lower`.padStart(13),
        `${f(r.perSecond / base.perSecond)}x`.padStart(16),
        String(r.errors).padStart(7),
      ].join(' '),
    );
  }
  console.log('jail*: the jail level without a prepared interpreter (python started for each run)');
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
