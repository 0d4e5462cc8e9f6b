import {
  createLogger,
  defaultJobLimits,
  findLanguage,
  languageVersions,
  loadLanguageManifest,
  sandboxImageName,
  type Job,
  type JobLimits,
  type Language,
  type LanguageVersion,
} from '@muscode/common';
import { sandboxSpec, type Isolation } from '../../runner-agent/src/engine/container-spec.js';
import { executeOnSession } from '../../runner-agent/src/engine/run.js';
import { createWarmPool } from '../../runner-agent/src/pool/warm-pool.js';
import { createCgroupMemory } from '../../runner-agent/src/sandbox/cgroup.js';
import { createDockerDriver } from '../../runner-agent/src/sandbox/docker.js';
import { imageRepo } from './stack.js';

// The agent's warm pool and engine on the real Docker + runsc, without control-plane or Redis:
// the harness the engine-level tests (integration and hostile) share.

export const manifest = loadLanguageManifest();

/** The newest version of a language (the one a request without a version gets). */
export const newestLanguage = (id: string): LanguageVersion =>
  languageVersions(findLanguage(manifest, id)!).at(-1)!;

/** The manifest's default limits with the given timeouts (ms) and any other field over them. */
export const testLimits = (timeoutMs: number, over: Partial<JobLimits> = {}): JobLimits => ({
  ...defaultJobLimits(manifest),
  timeoutMs,
  cpuTimeMs: timeoutMs,
  compileTimeoutMs: 10000,
  ...over,
});

/** A job id unique in this file: `00000000-0000-4000-<block>-<n>`. */
export function jobIds(block: string): () => string {
  let n = 0;
  return () => `00000000-0000-4000-${block}-${String(++n).padStart(12, '0')}`;
}

/** A one-file job of lang, run by ownerId. */
export const sourceJob = (
  id: string,
  ownerId: string,
  lang: Pick<Language, 'id'> & { mainFile: string },
  code: string,
  limits: JobLimits,
): Job => ({
  executionId: id,
  ownerId,
  language: lang.id.split('@')[0]!,
  files: [{ path: lang.mainFile, content: code }],
  mainFile: lang.mainFile,
  args: [],
  stdin: '',
  interactive: false,
  limits,
  enqueuedAt: Date.now(),
});

export interface PoolOptions {
  runnerId: string;
  isolation: Isolation;
  lang: LanguageVersion;
  limits: JobLimits;
  /** Env given to the launcher over the spec's own. */
  extraEnv?: Record<string, string>;
  maxRuns?: number;
  maxAgeMs?: number;
  startConcurrency?: number;
  /** Measure peak memory through Docker's cgroup (as the agent does); off: no cgroup. */
  cgroup?: boolean;
  /** How long a reused sandbox may take to be ready again before it is dropped. */
  nextReadyMs?: number;
}

export const dockerDriver = () => createDockerDriver('/var/run/docker.sock');

/** A pool of one sandbox of lang's image, prepared as the agent prepares it; run() leases, runs, releases. */
export function sandboxPool(driver: ReturnType<typeof createDockerDriver>, o: PoolOptions) {
  const { isolation, lang, limits } = o;
  const image = sandboxImageName(lang.image, imageRepo);
  const removals: Promise<unknown>[] = [];
  const pool = createWarmPool({
    driver,
    specFor: (img) => {
      const spec = sandboxSpec({
        image: img,
        runtime: 'runsc',
        runnerId: o.runnerId,
        limits,
        memoryOverheadMb: 32,
        isolation,
        prepare: { command: lang.prepare!, limits },
      });
      return o.extraEnv ? { ...spec, env: { ...spec.env, ...o.extraEnv } } : spec;
    },
    preparedFor: () => lang.id,
    images: [image],
    config: {
      isolation,
      size: 1,
      maxRuns: o.maxRuns ?? 3,
      maxAgeMs: o.maxAgeMs ?? 60_000,
      startConcurrency: o.startConcurrency ?? 1,
    },
    log: createLogger('test', 'warn'),
    track: (p) => removals.push(p.catch(() => undefined)),
  });
  const run = async (owner: string, job: Job) => {
    const lease = await pool.acquire(image, owner);
    const r = await executeOnSession({
      session: lease.session,
      job,
      lang,
      graceMs: 5000,
      cgroup: o.cgroup ? createCgroupMemory('/sys/fs/cgroup/memory/docker') : undefined,
    });
    lease.release(
      r.reusable && isolation !== 'sandbox' && (await lease.session.nextReady(o.nextReadyMs ?? 3000)),
    );
    return r;
  };
  const stop = async () => {
    await pool.stop();
    await Promise.all(removals);
  };
  return { run, stop, pool };
}

/**
 * One test file's engine harness: its own runner id (so `reap` removes only its sandboxes), the
 * Docker driver, pools at the file's limits, and jobs with ids unique in the file.
 */
export function engineHarness(name: string, limits: JobLimits) {
  const runnerId = `${name}-test-${process.pid}`;
  const driver = dockerDriver();
  const nextId = jobIds('9000');
  return {
    runnerId,
    limits,
    pool: (o: Omit<PoolOptions, 'runnerId' | 'limits'>) => sandboxPool(driver, { runnerId, limits, ...o }),
    job: (owner: string, lang: LanguageVersion, code: string, jobLimits = limits) =>
      sourceJob(nextId(), owner, lang, code, jobLimits),
    reap: () => driver.reap(runnerId),
  };
}
