import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { env, loadEnvConfig } from '@muscode/common';

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
      runnerToken: env.string('dev-runner-token'),
      redisUrl: env.string('redis://127.0.0.1:6379'),
      redisPrefix: env.string('muscode:'),
      /** Jobs run at once. */
      capacity: env.int(availableParallelism(), 1),
      dockerSocket: env.string('/var/run/docker.sock'),
      /** OCI runtime for sandboxes. Only runsc is allowed unless allowUnsafeRuntime is set. */
      runtime: env.string('runsc'),
      /** Development only: permits a runtime other than runsc (e.g. runc). Logged loudly. */
      allowUnsafeRuntime: env.bool(false),
      /** Memory the sandbox itself needs on top of the user's limit (gVisor's own ~15–20 MiB). */
      sandboxMemoryOverheadMb: env.int(32, 0),
      /** Time allowed for a sandbox to start and take its files, on top of the job's limits. */
      startGraceMs: env.int(5000, 100),
      /** How long a read of the job stream blocks. */
      blockMs: env.int(2000, 100),
      heartbeatMs: env.int(5000, 200),
      manifestPath: env.optionalString(),
      logLevel: env.logLevel(),
    },
    source,
  );
}

export type Config = ReturnType<typeof loadConfig>;
