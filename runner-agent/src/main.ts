import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import {
  createLogger,
  loadLanguageManifest,
  onShutdown,
  sandboxImageName,
  versionLabel,
} from '@muscode/common';
import { loadConfig } from './config.js';
import { createJobConsumer } from './consumer/job-consumer.js';
import { runJob } from './engine/run-job.js';
import { createControlPlane } from './report/control-plane.js';
import { createDockerDriver } from './sandbox/docker.js';

const config = loadConfig(process.env);
const log = createLogger('runner-agent', config.logLevel).child({ runnerId: config.id });
const manifest = loadLanguageManifest(config.manifestPath);

if (config.runtime !== 'runsc') {
  if (!config.allowUnsafeRuntime) {
    throw new Error(`AGENT_RUNTIME=${config.runtime} refused: untrusted code runs under runsc only`);
  }
  log.warn({ runtime: config.runtime }, 'UNSAFE: sandboxes run WITHOUT gVisor; development only');
}

const driver = createDockerDriver(config.dockerSocket);
await driver.ping();
const reaped = await driver.reap(config.id);
if (reaped > 0) log.info({ reaped }, 'removed sandboxes left by an earlier run of this agent');

const images = await driver.images();
const languages = manifest.languages.flatMap((l) => {
  const labels = images.get(sandboxImageName(l.image));
  return labels ? [{ languageId: l.id, version: labels[versionLabel(l.id)] ?? '' }] : [];
});
log.info({ languages: languages.map((l) => `${l.languageId} ${l.version}`) }, 'sandbox images found');

const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
redis.on('error', (err: Error) => log.warn({ err: err.message }, 'redis error'));
const controlPlane = createControlPlane({
  baseUrl: config.controlPlaneUrl,
  runnerToken: config.runnerToken,
  runnerId: config.id,
  log,
});

const cleanups = new Set<Promise<unknown>>();
const consumer = createJobConsumer({
  redis,
  prefix: config.redisPrefix,
  region: config.region,
  consumerName: config.id,
  capacity: config.capacity,
  blockMs: config.blockMs,
  log,
  handle: (job, attempt) =>
    runJob(
      {
        driver,
        controlPlane,
        redis,
        redisPrefix: config.redisPrefix,
        manifest,
        runnerId: config.id,
        runtime: config.runtime,
        memoryOverheadMb: config.sandboxMemoryOverheadMb,
        startGraceMs: config.startGraceMs,
        hasImage: (image) => images.has(image),
        track: (p) => {
          const tracked = p.catch((err: unknown) => log.warn({ err }, 'sandbox removal failed'));
          cleanups.add(tracked);
          void tracked.finally(() => cleanups.delete(tracked));
        },
        log,
      },
      job,
      attempt,
    ),
});

// Heartbeats say the agent is alive, so they are only sent while Docker answers.
let heartbeatTimer: NodeJS.Timeout | undefined;
let interval = config.heartbeatMs;
async function beat(): Promise<void> {
  try {
    await driver.ping();
    interval = await controlPlane.heartbeat({
      runnerId: config.id,
      region: config.region,
      hostname: hostname(),
      capacity: config.capacity,
      running: consumer.running(),
      languages,
    });
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'heartbeat failed');
  }
  heartbeatTimer = setTimeout(
    () => void beat(),
    Math.min(interval || config.heartbeatMs, config.heartbeatMs),
  );
}

consumer.start();
await beat();
log.info(
  { region: config.region, capacity: config.capacity, runtime: config.runtime },
  'runner agent started',
);

onShutdown(log, async () => {
  clearTimeout(heartbeatTimer);
  await consumer.stop();
  await Promise.allSettled([...cleanups]);
  redis.disconnect();
});
