import { hostname } from 'node:os';
import { Verdict } from '@muscode/proto/runner/v1';
import { Redis } from 'ioredis';
import {
  createLogger,
  createStreamFollower,
  defaultJobLimits,
  languageVersions,
  loadLanguageManifest,
  manifestImages,
  onShutdown,
  serveMetrics,
  sandboxImageName,
  versionLabel,
} from '@muscode/common';
import { loadConfig } from './config.js';
import { createHostReaper } from './consumer/host-reaper.js';
import { createJobConsumer } from './consumer/job-consumer.js';
import { createReportGate } from './consumer/report-gate.js';
import { createAgentMetrics } from './metrics/agent-metrics.js';
import { launcherLabel, launcherVersion, sandboxSpec } from './engine/container-spec.js';
import { runJob } from './engine/run-job.js';
import { createWarmPool } from './pool/warm-pool.js';
import { createControlPlane } from './report/control-plane.js';
import { createCgroupMemory } from './sandbox/cgroup.js';
import { createDockerDriver } from './sandbox/docker.js';
import { createRuntimeHealth } from './sandbox/runtime-health.js';
import { pidNamespace, processStart } from '@muscode/common';

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

// Only images with the launcher protocol this agent speaks: an older launcher would run the
// program as its own uid (sandbox-images/launcher/PROTOCOL.md, "Process rules").
const images = new Map(
  [...(await driver.images())].filter(([, labels]) => labels[launcherLabel] === launcherVersion),
);
// One entry per language version whose image is here, with the version labelled on it.
const languages = manifest.languages.flatMap((l) =>
  languageVersions(l).flatMap((v) => {
    const labels = images.get(sandboxImageName(v.image, config.imageRepo));
    return labels ? [{ languageId: l.id, version: labels[versionLabel(l.id)] ?? '', image: v.image }] : [];
  }),
);
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

// Pooled sandboxes are made with the manifest's default limits; their container-level ulimits
// and pids limit at the maxima, since the launcher sets each step's own below them.
const lm = manifest.limits;
const poolLimits = {
  ...defaultJobLimits(manifest),
  processes: lm.processes.max,
  openFiles: lm.openFiles.max,
  fileSizeBytes: lm.fileSizeBytes.max,
};
const specBase = {
  runtime: config.runtime,
  runnerId: config.id,
  memoryOverheadMb: config.sandboxMemoryOverheadMb,
  cgroupParent: config.cgroupParent,
};
const pooledImages = new Set(config.poolImages.split(',').map((s) => s.trim()));
const pooledImageNames = manifestImages(manifest)
  .filter((name) => pooledImages.has('*') || pooledImages.has(name))
  .map((name) => sandboxImageName(name, config.imageRepo))
  .filter((image) => images.has(image));
const pooledImageCount = pooledImageNames.length;
// Pooled sandboxes of an image start its prepared interpreter (if a language of it has one).
const preparedByImage = new Map(
  pooledImageNames.flatMap((image) => {
    const lang = manifest.languages
      .flatMap((l) => languageVersions(l))
      .find((v) => sandboxImageName(v.image, config.imageRepo) === image && v.prepare);
    return lang ? [[image, lang] as const] : [];
  }),
);
const preparedSpec = (image: string) => {
  const lang = preparedByImage.get(image);
  return lang?.prepare ? { command: lang.prepare, limits: defaultJobLimits(manifest, lang) } : undefined;
};
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
  specFor: (image) =>
    sandboxSpec({
      ...specBase,
      image,
      limits: poolLimits,
      isolation: config.isolation,
      prepare: preparedSpec(image),
    }),
  preparedFor: (image) => preparedByImage.get(image)?.id,
  images: pooledImageNames,
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
let beatNow = () => undefined as void;
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
    beatNow();
  },
});
// An attempt's budget: its limits, the sandbox start, and the report's reconnect window.
const reportRetryMs = 120_000;
const consumer = createJobConsumer({
  reclaimIdleMs,
  canTake: () => health.healthy(),
  budgetMs: (job) =>
    job.limits.timeoutMs +
    job.limits.compileTimeoutMs +
    config.startGraceMs +
    config.wipeTimeoutMs +
    reportRetryMs,
  reclaimIntervalMs: config.reclaimIntervalMs,
  maxAttempts: config.maxAttempts,
  deadLetterMaxLen: config.deadLetterMaxLen,
  hooks: metrics.hooks,
  abandon: async (job, attempt, message) => {
    const report = controlPlane.open(job.executionId, attempt);
    report.send({ case: 'finished', value: { verdict: Verdict.INTERNAL_ERROR, message } });
    await report.finish();
  },
  redis,
  prefix: config.redisPrefix,
  region: config.region,
  consumerName: config.id,
  capacity: config.capacity,
  blockMs: config.blockMs,
  log,
  handle: (job, attempt) =>
    metrics.timeAttempt(() =>
      runJob(
        {
          pool,
          controlPlane,
          streams,
          redisPrefix: config.redisPrefix,
          manifest,
          poolLimits,
          specBase,
          startGraceMs: config.startGraceMs,
          wipeTimeoutMs: config.wipeTimeoutMs,
          cgroup,
          imageRepo: config.imageRepo,
          hasImage: (image) => images.has(image),
          onRun: metrics.ran,
          runtimeHealthy: () => health.recheck(),
          log,
        },
        job,
        attempt,
      ),
    ),
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
let heartbeatTimer: NodeJS.Timeout | undefined;
let interval = config.heartbeatMs;
let draining = false;
let stopped = false;
async function beat(): Promise<void> {
  clearTimeout(heartbeatTimer);
  try {
    interval = await controlPlane.heartbeat({
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
      pools: [{ name: 'warm', warm: pool.idleCount(), target: config.poolSize * pooledImageCount }],
    });
    metrics.heartbeat(true);
  } catch (err) {
    metrics.heartbeat(false);
    log.warn({ err: (err as Error).message }, 'heartbeat failed');
  }
  if (stopped) return;
  clearTimeout(heartbeatTimer);
  heartbeatTimer = setTimeout(
    () => void beat(),
    Math.min(interval || config.heartbeatMs, config.heartbeatMs),
  );
}
beatNow = () => {
  if (!stopped) void beat();
};

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
await beat();
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
  stopped = true;
  clearTimeout(heartbeatTimer);
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
