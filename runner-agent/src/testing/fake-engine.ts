import {
  controlField,
  createLogger,
  loadLanguageManifest,
  type ControlMessage,
  type StreamEntry,
  type StreamFollower,
} from '@muscode/common';
import type { EngineDeps } from '../engine/job.js';
import { createPoolPolicy } from '../pool/policy.js';
import { createWarmPool } from '../pool/warm-pool.js';
import type { ControlPlane, ReportEvent } from '../report/control-plane.js';
import { createFakeDriver } from './fake-driver.js';

/** The image of the manifest's default python, the one image the fake engine's runner has. */
export const pythonImage = 'muscode/sandbox-python:latest';

/** A control-plane that keeps every event reported, and counts the report streams finished. */
export function fakeControlPlane() {
  const events: NonNullable<ReportEvent>[] = [];
  let finished = 0;
  const controlPlane: ControlPlane = {
    open: () => ({
      send: (e) => void events.push(e),
      finish: async () => void finished++,
    }),
    heartbeat: async () => 1000,
  };
  return { controlPlane, events, finishedCount: () => finished };
}

/** Control streams held in memory: `send` delivers a message to the job following `key`. */
export function fakeStreams() {
  const follows = new Map<string, (entries: StreamEntry[]) => void>();
  let seq = 0;
  const streams: StreamFollower = {
    follow(key, _after, onEntries) {
      follows.set(key, onEntries);
      return { stop: () => void follows.delete(key) };
    },
    close: () => follows.clear(),
  };
  const send = (key: string, m: ControlMessage) =>
    follows.get(key)?.([{ id: `1-${seq++}`, fields: [controlField, JSON.stringify(m)] }]);
  return { streams, follows, send };
}

/**
 * The engine's dependencies as `runJob` takes them, on a fake driver: no Docker, no Redis, no
 * control-plane (unless one is given). No warm sandboxes: every job's sandbox is started for
 * it, through the driver, and removed after (`sandbox` isolation). Stop `pool` when done.
 */
export function createFakeEngine(
  opts: Parameters<typeof createFakeDriver>[0] & {
    runtimeHealthy?: boolean;
    controlPlane?: ControlPlane;
    runnerId?: string;
    /** Which images the runner has; only the default python's unless given. */
    hasImage?: (image: string) => boolean;
  } = {},
) {
  const manifest = loadLanguageManifest();
  const log = createLogger('test', 'silent');
  const imageRepo = 'muscode';
  const specBase = {
    runtime: 'runsc',
    runnerId: opts.runnerId ?? 'r1',
    memoryOverheadMb: 32,
    cgroupParent: undefined,
  };
  const fake = createFakeDriver(opts);
  const cp = fakeControlPlane();
  const control = fakeStreams();
  const policy = createPoolPolicy({
    manifest,
    poolImages: '',
    imageRepo,
    hasImage: () => true,
    isolation: 'sandbox',
    specBase,
  });
  const pool = createWarmPool({
    driver: fake.driver,
    specFor: policy.specFor,
    images: [],
    config: { isolation: 'sandbox', size: 0, maxRuns: 1, maxAgeMs: 60_000, startConcurrency: 2 },
    log,
    track: (p) => void p.catch(() => undefined),
  });
  const deps: EngineDeps = {
    pool,
    controlPlane: opts.controlPlane ?? cp.controlPlane,
    streams: control.streams,
    redisPrefix: 'test:',
    manifest,
    poolLimits: policy.poolLimits,
    specBase,
    startGraceMs: 0,
    wipeTimeoutMs: 1000,
    cgroup: undefined,
    imageRepo,
    hasImage: opts.hasImage ?? ((image) => image === pythonImage),
    runtimeHealthy: async () => opts.runtimeHealthy ?? true,
    log,
  };
  return { ...fake, ...cp, control, deps, pool, manifest };
}

/** The `finished` report of a job (its last event); throws when the job reported something else last. */
export const finishedOf = (events: NonNullable<ReportEvent>[]) => {
  const last = events.at(-1);
  if (last?.case !== 'finished') throw new Error(`last event is ${String(last?.case)}`);
  return last.value;
};
