import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import {
  checkerRunsBudgetMs,
  createLogger,
  createStreamFollower,
  loadLanguageManifest,
  onShutdown,
  pidNamespace,
  processStart,
  serveMetrics,
  type Job,
} from '@muscode/common';
import { loadConfig } from './config.js';
import { createHostReaper } from './consumer/host-reaper.js';
import { createJobConsumer } from './consumer/job-consumer.js';
import { createAgentMetrics } from './metrics/agent-metrics.js';
import { runJob, type EngineDeps } from './engine/job.js';
import { createPoolPolicy } from './pool/policy.js';
import { createWarmPool } from './pool/warm-pool.js';
import { reportAbandoned } from './report/attempt-events.js';
import { createControlPlane } from './report/control-plane.js';
import { createHeartbeat } from './report/heartbeat.js';
import { createReportGate } from './report/report-gate.js';
import { createCgroupMemory } from './sandbox/cgroup.js';
import { createDockerDriver } from './sandbox/docker.js';
import { findSandboxImages } from './sandbox/images.js';
import { createRuntimeHealth } from './sandbox/runtime-health.js';

const config = loadConfig(process.env);
const log = createLogger('runner-agent', config.logLevel).child({ runnerId: config.id });
const manifest = loadLanguageManifest(config.manifestPath);

if (config.runtime !== 'runsc') {
  if (!config.allowUnsafeRuntime) {
    throw new Error(`AGENT_RUNTIME=${config.runtime} refused: untrusted code runs under runsc only`);
  }
  log.warn({ runtime: config.runtime }, 'UNSAFE: sandboxes run WITHOUT gVisor; development only');
}

const driver = createDockerDriver({ socketPath: config.dockerSocket, callTimeoutMs: config.dockerTimeoutMs });
await driver.ping();
const reaped = await driver.reap(config.id);
if (reaped > 0) log.info({ reaped }, 'removed sandboxes left by an earlier run of this agent');

const { has: hasImage, languages } = await findSandboxImages(driver, manifest, config.imageRepo);
log.info({ languages: languages.map((l) => `${l.languageId} ${l.version}`) }, 'sandbox images found');

const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
redis.on('error', (err: Error) => log.warn({ err: err.message }, 'redis error'));
// One reader for the control streams of all running jobs (stdin, cancel).
const streams = createStreamFollower(redis, { log: log.child({ component: 'control-streams' }) });
const reportGate = createReportGate(
  createControlPlane({
    baseUrl: config.controlPlaneUrl,
    runnerToken: config.runnerToken,
    runnerId: config.id,
    callTimeoutMs: config.controlPlaneTimeoutMs,
    log,
  }),
);
const controlPlane = reportGate.controlPlane;

const cleanups = new Set<Promise<unknown>>();
const track = (p: Promise<unknown>) => {
  const tracked = p.catch((err: unknown) => log.warn({ err }, 'sandbox removal failed'));
  cleanups.add(tracked);
  void tracked.finally(() => cleanups.delete(tracked));
};

const specBase = {
  runtime: config.runtime,
  runnerId: config.id,
  memoryOverheadMb: config.sandboxMemoryOverheadMb,
  cgroupParent: config.cgroupParent,
};
const policy = createPoolPolicy({
  manifest,
  poolImages: config.poolImages,
  imageRepo: config.imageRepo,
  hasImage,
  isolation: config.isolation,
  specBase,
});
// Late-bound: the metrics read the consumer's state, the consumer reports to the metrics.
let runningNow = () => 0;
const metrics = createAgentMetrics({
  region: config.region,
  capacity: config.capacity,
  running: () => runningNow(),
});
const pool = createWarmPool({
  // Every sandbox start goes through the pool: timed here for muscode_agent_sandbox_start_seconds.
  driver: { ...driver, start: (spec) => metrics.timeSandboxStart(() => driver.start(spec)) },
  specFor: policy.specFor,
  preparedFor: policy.preparedFor,
  images: policy.images,
  config: {
    isolation: config.isolation,
    size: config.poolSize,
    maxRuns: config.recycleRuns,
    maxAgeMs: config.recycleMs,
    startConcurrency: config.startConcurrency,
  },
  log: log.child({ component: 'pool' }),
  track,
});
const cgroupFolder = config.cgroupParent ?? '/docker';
const cgroup = createCgroupMemory(config.cgroupMemoryRoot ?? `/sys/fs/cgroup/memory${cgroupFolder}`, {
  pidsRoot: config.cgroupPidsRoot ?? `/sys/fs/cgroup/pids${cgroupFolder}`,
  sampleMs: config.cgroupSampleMs,
});
const reclaimIdleMs =
  config.reclaimIdleMs ||
  (manifest.limits.timeoutSeconds.max + manifest.limits.compileTimeoutSeconds.max) * 1000 +
    config.startGraceMs +
    config.reclaimMarginMs;
// While Docker does not answer the agent takes no jobs and says so at once in a heartbeat; when
// it answers again, sandboxes it left behind (a restarted Engine leaves them created or exited)
// go, the pool refills, and jobs left pending to this agent run.
const health = createRuntimeHealth({
  probe: () => driver.ping(),
  intervalMs: config.healthIntervalMs,
  timeoutMs: config.healthTimeoutMs,
  log: log.child({ component: 'runtime-health' }),
  onChange: (reason) => {
    if (!reason) {
      void driver
        .reapOrphans(config.id, 0)
        .then((n) => n > 0 && log.info({ reaped: n }, 'removed sandboxes left behind while Docker was away'))
        .catch(() => undefined);
      pool.fill();
      consumer.resume();
    }
    heartbeat.now();
  },
});
const engine: EngineDeps = {
  pool,
  controlPlane,
  streams,
  redisPrefix: config.redisPrefix,
  manifest,
  poolLimits: policy.poolLimits,
  specBase,
  startGraceMs: config.startGraceMs,
  wipeTimeoutMs: config.wipeTimeoutMs,
  cgroup,
  imageRepo: config.imageRepo,
  hasImage,
  onRun: metrics.ran,
  runtimeHealthy: () => health.recheck(),
  log,
};
// An attempt's budget: its limits (a graded job's tests and checker runs), the sandbox start,
// and the report's reconnect window.
const reportRetryMs = 120_000;
const runBudgetMs = (job: Job) =>
  job.grading
    ? job.grading.tests.reduce((n, t) => n + (t.timeoutMs ?? job.limits.timeoutMs), 0) +
      checkerRunsBudgetMs(manifest, job.grading)
    : job.limits.timeoutMs;
const consumer = createJobConsumer({
  reclaimIdleMs,
  canTake: () => health.healthy(),
  budgetMs: (job) =>
    runBudgetMs(job) +
    job.limits.compileTimeoutMs +
    config.startGraceMs +
    config.wipeTimeoutMs +
    reportRetryMs,
  reclaimIntervalMs: config.reclaimIntervalMs,
  maxAttempts: config.maxAttempts,
  deadLetterMaxLen: config.deadLetterMaxLen,
  hooks: metrics.hooks,
  abandon: (job, attempt, message) => reportAbandoned(controlPlane, job.executionId, attempt, message),
  redis,
  prefix: config.redisPrefix,
  region: config.region,
  consumerName: config.id,
  capacity: config.capacity,
  blockMs: config.blockMs,
  log,
  handle: (job, attempt) => metrics.timeAttempt(() => runJob(engine, job, attempt)),
});
runningNow = () => consumer.running();
const hostReaper = createHostReaper({
  redis,
  prefix: config.redisPrefix,
  hostId: config.hostId,
  runnerId: config.id,
  leaseMs: config.reclaimIntervalMs * 3,
  intervalMs: config.reclaimIntervalMs,
  reap: (runnerId) => driver.reap(runnerId),
  log,
});

// Heartbeats say the agent is alive and whether it can take jobs (`unhealthy` while Docker
// does not answer: the control-plane then gives it no slots).
let draining = false;
const heartbeat = createHeartbeat({
  controlPlane,
  intervalMs: config.heartbeatMs,
  onBeat: (ok) => metrics.heartbeat(ok),
  log,
  request: () => ({
    runnerId: config.id,
    region: config.region,
    hostname: hostname(),
    capacity: config.capacity,
    running: consumer.running(),
    languages,
    hostId: config.hostId,
    draining,
    unhealthy: health.reason() ?? '',
    pid: process.pid,
    processStart: processStart(process.pid) ?? 0n,
    pidNamespace: pidNamespace(),
    // The pool exposes its idle total only: one entry for all pooled images.
    pools: [{ name: 'warm', warm: pool.idleCount(), target: config.poolSize * policy.images.length }],
  }),
});

// Sandboxes of this agent that it no longer holds (a removal that failed, a create that never
// came back) are removed on the host reaper's beat.
const orphanTimer = setInterval(() => {
  if (!health.healthy()) return;
  void driver
    .reapOrphans(config.id, config.orphanGraceMs)
    .then((n) => n > 0 && log.info({ reaped: n }, 'removed orphaned sandboxes of this agent'))
    .catch(() => undefined);
}, config.reclaimIntervalMs);

await health.start();
await hostReaper.start();
pool.fill();
// Announced before it takes jobs: the control-plane checks reported attempts against its region.
await heartbeat.start();
consumer.start();
const metricsServer = await serveMetrics(metrics.registry, config.metricsHost, config.metricsPort);
log.info(
  {
    region: config.region,
    hostId: config.hostId,
    capacity: config.capacity,
    runtime: config.runtime,
    reclaimIdleMs,
    metricsPort: metricsServer.port,
    isolation: config.isolation,
    poolSize: config.poolSize,
  },
  'runner agent started',
);

// Drain: take no new jobs, let running ones finish (bounded), then leave nothing behind.
onShutdown(log, async () => {
  draining = true;
  const left = await consumer.stop(config.drainTimeoutMs);
  if (left > 0) {
    // Their entries stay pending and are reclaimed by other agents; their sandboxes go now.
    log.warn({ left, drainTimeoutMs: config.drainTimeoutMs }, 'drain timed out; abandoning running jobs');
    reportGate.close();
    await driver.reap(config.id).catch(() => undefined);
  }
  heartbeat.stop();
  clearInterval(orphanTimer);
  health.stop();
  await pool.stop();
  await Promise.allSettled([...cleanups]);
  await hostReaper.stop();
  await metricsServer.close();
  streams.close();
  redis.disconnect();
  log.info({ left }, 'runner agent stopped');
});
