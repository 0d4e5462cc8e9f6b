import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { env, loadEnvConfig } from '@muscode/common';

const isolations = ['sandbox', 'owner', 'jail'] as const;
type Isolation = (typeof isolations)[number];

/** Every setting of a runner agent, read once in main.ts from AGENT_* variables. */
export function loadConfig(source: NodeJS.ProcessEnv) {
  return loadEnvConfig(
    'AGENT_',
    {
      /** Stable id of this agent; a restarted agent with the same id reaps its old sandboxes. */
      id: env.string(`${hostname()}-${randomBytes(3).toString('hex')}`),
      region: env.string('local'),
      /** Connect/gRPC endpoint of the control-plane. */
      controlPlaneUrl: env.string('http://127.0.0.1:8082'),
      /** Shared secret of the control-plane's runner link; required (no default). */
      runnerToken: env.secret(),
      redisUrl: env.string('redis://127.0.0.1:6379'),
      redisPrefix: env.string('muscode:'),
      /** Jobs run at once. */
      capacity: env.int(availableParallelism(), 1),
      dockerSocket: env.string('/var/run/docker.sock'),
      /** Longest wait for one Docker Engine API call (attach streams aside). */
      dockerTimeoutMs: env.int(30_000, 100),
      /** How often the Docker Engine is probed, and how long a probe may take before it fails. */
      healthIntervalMs: env.int(2000, 100),
      healthTimeoutMs: env.int(3000, 100),
      /** This agent's sandboxes not held by it and older than this are removed (orphans). */
      orphanGraceMs: env.int(30_000, 0),
      /** Longest wait for a heartbeat's answer or a ping on the control-plane link. */
      controlPlaneTimeoutMs: env.int(10_000, 100),
      /** Repository the sandbox images are tagged in (build.sh's MUSCODE_IMAGE_REPO). */
      imageRepo: env.string('muscode'),
      /** OCI runtime for sandboxes. Only runsc is allowed unless allowUnsafeRuntime is set. */
      runtime: env.string('runsc'),
      /** Development only: permits a runtime other than runsc (e.g. runc). Logged loudly. */
      allowUnsafeRuntime: env.bool(false),
      /** Memory the sandbox itself needs on top of the user's limit (gVisor's own ~15–20 MiB). */
      sandboxMemoryOverheadMb: env.int(32, 0),
      /**
       * Isolation level (README, "Isolation levels"): `sandbox` = a fresh never-used sandbox per
       * run; `owner` = a wiped sandbox serves the same owner's next runs; `jail` = a pooled
       * sandbox runs many executions, each in its own jail.
       */
      isolation: env
        .string('sandbox')
        .refine((v) => (isolations as readonly string[]).includes(v), 'must be sandbox, owner or jail')
        .transform((v) => v as Isolation),
      /** Pre-started never-used sandboxes kept per image (0 = start one per job). */
      poolSize: env.int(2, 0),
      /** Images that get a pool: comma-separated manifest image names, or `*` for all. */
      poolImages: env.string('trixie/python,trixie/javascript'),
      /** owner/jail: a sandbox is recycled after this many executions… */
      recycleRuns: env.int(50, 1),
      /** …or after this many milliseconds. */
      recycleMs: env.int(120_000, 1000),
      /** Sandbox starts at once (each costs ~1 CPU-second under runsc); default: the cores. */
      startConcurrency: env.int(availableParallelism(), 1),
      /** Time the launcher has to wipe a reused sandbox before it is discarded instead. */
      wipeTimeoutMs: env.int(3000, 100),
      /**
       * Docker's cgroup parent for sandboxes (HostConfig.CgroupParent, e.g. `/muscode`): puts them
       * under a cgroup of their own, for accounting (the bench reads its CPU) or limits of all
       * sandboxes together. Default: Docker's own (`/docker`).
       */
      cgroupParent: env.optionalString(),
      /**
       * Memory cgroup (v1) folder of the sandboxes, for peak memory. Default: the cgroup parent's
       * folder, or Docker's (`/sys/fs/cgroup/memory/docker`).
       */
      cgroupMemoryRoot: env.optionalString(),
      /**
       * pids cgroup (v1) folder of the sandboxes, to tell a sandbox that ran out of pids. Default:
       * the cgroup parent's folder, or Docker's (`/sys/fs/cgroup/pids/docker`).
       */
      cgroupPidsRoot: env.optionalString(),
      /**
       * How often a running submission's cgroups are read: a sandbox killed by the OOM killer or
       * the pids limit loses them ~100 ms after the kill, so the facts are read before that.
       */
      cgroupSampleMs: env.int(20, 5),
      /** Time allowed for a sandbox to start and take its files, on top of the job's limits. */
      startGraceMs: env.int(5000, 100),
      /** How long a read of the job stream blocks. */
      blockMs: env.int(2000, 100),
      heartbeatMs: env.int(5000, 200),
      /** Identifies this host's Docker Engine; agents of one host clean up each other's orphans. */
      hostId: env.string(hostname()),
      /**
       * A job whose agent stopped renewing it for this long is reclaimed by another agent.
       * 0 (default): the longest allowed run and compile time plus startGraceMs and reclaimMarginMs.
       */
      reclaimIdleMs: env.int(0, 0),
      reclaimMarginMs: env.int(30_000, 0),
      /** How often leases are renewed, idle jobs looked for and dead agents' sandboxes reaped. */
      reclaimIntervalMs: env.int(5000, 100),
      /** Attempts per job; then the execution ends as internal_error and the job is dead-lettered. */
      maxAttempts: env.int(3, 1),
      deadLetterMaxLen: env.int(10_000, 10),
      /** On SIGTERM, how long running jobs may take to finish before the agent exits anyway. */
      drainTimeoutMs: env.int(120_000, 0),
      /** Prometheus /metrics; port 0 picks a free one (logged). */
      metricsHost: env.string('127.0.0.1'),
      metricsPort: env.port(0),
      manifestPath: env.optionalString(),
      logLevel: env.logLevel(),
    },
    source,
  );
}

export type Config = ReturnType<typeof loadConfig>;
