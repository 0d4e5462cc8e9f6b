import { execFileSync } from 'node:child_process';
import { Redis } from 'ioredis';
import type { TestProject } from 'vitest/node';
import { migrate } from '../../control-plane/src/infra/migrate.js';
import {
  createDatabase,
  deleteKeys,
  databaseUrl,
  dropDatabase,
  freePort,
  imageRepo,
  randomId,
  root,
  startProcess,
  waitFor,
  type Proc,
} from './stack.js';
import { dropBucket, storageEnv, testS3 } from './s3.js';
import type { S3StoreOptions } from '../../control-plane/src/infra/object-store/index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    apiUrl: string;
    controlPlaneUrl: string;
    rpcUrl: string;
    databaseUrl: string;
    redisUrl: string;
    redisPrefix: string;
    runnerId: string;
    region: string;
    /** A secret planted in the control-plane's and the agent's environment (tests/hostile). */
    canary: string;
    /** The runner agent's Prometheus endpoint. */
    agentMetricsUrl: string;
    /** The token runner agents present to the control-plane (for tests that start their own). */
    runnerToken: string;
    /** The S3 store of the run (the machine's radosgw, a bucket of the run's own). */
    s3: S3StoreOptions;
    /** The migrated database that per-file databases are cloned from (tests/support/file-db.ts). */
    templateDatabase: string;
  }
}

/**
 * One real stack for a tier of the run: a database cloned from the run's migrated template, a
 * Redis key prefix of its own, and the control-plane and gateway as separate processes on free
 * ports, plus (the `sandbox` tier) a runner agent on Docker + runsc. The `integration` tier
 * starts no agent: its files need no sandbox (executions they submit stay queued).
 */
export async function startStack(project: TestProject, opts: { agent: boolean }) {
  const run = randomId();
  const dbName = `muscode_test_${run}`;
  const templateName = `muscode_tpl_${run}`;
  const redisUrl = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
  const redisPrefix = `test-${run}:`;
  const region = `test-${run}`;
  const runnerId = `test-agent-${run}`;
  const runnerToken = randomId(16);
  const canary = `canary-${randomId(16)}`;
  const [httpPort, rpcPort, gatewayPort, agentMetricsPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];

  // The playground's files, which the gateway below serves at / (fast: one esbuild run).
  execFileSync(process.execPath, [`${root}/clients/web/build.mjs`], { stdio: 'ignore' });
  // Migrated once; the stack's database and each file's own (tests/support/file-db.ts) are
  // clones of it (CREATE DATABASE … TEMPLATE: a file copy, no migration run per file).
  await createDatabase(templateName);
  await migrate(databaseUrl(templateName), `${root}/migrations`);
  await createDatabase(dbName, templateName);
  const s3 = await testS3(`muscode-test-${run}`.toLowerCase());

  const common = { LOG_LEVEL: 'info' };
  const procs: Proc[] = [
    startProcess('control-plane', 'control-plane/src/main.ts', {
      ...common,
      CP_HTTP_PORT: String(httpPort),
      CP_RPC_PORT: String(rpcPort),
      CP_DATABASE_URL: databaseUrl(dbName),
      CP_REDIS_URL: redisUrl,
      CP_REDIS_PREFIX: redisPrefix,
      CP_DEFAULT_REGION: region,
      // The only other region submissions may name: no agent reads it (jobs wait there).
      // Tests start agents of regions of their own (tests/support/own-region.ts, stalled-agent,
      // ws-report-resume) and submit to them here; api-resilience checks the refusal.
      CP_REGIONS: '*',
      CP_RUNNER_TOKEN: runnerToken,
      ...storageEnv(s3),
      CP_JWT_PRIVATE_KEY_FILE: process.env['CP_JWT_PRIVATE_KEY_FILE'] ?? `${root}/.state/jwt-ed25519.pem`,
      CP_LOG_LEVEL: 'warn',
      // Judge0 callbacks reach the tests' receiver on loopback only because it is allowed here.
      CP_JUDGE0_CALLBACK_SECRET: 'test-callback-secret',
      CP_JUDGE0_CALLBACK_ALLOW: '127.0.0.1',
      CP_JUDGE0_CALLBACK_RETRY_MS: '50',
      MUSCODE_CANARY: canary,
      // The whole suite comes from one address and polls; api-rate-limit.test.ts starts its own
      // control-planes with small limits.
      CP_RATE_LIMIT_PER_IP: '1000000',
      CP_RATE_LIMIT_PER_USER: '1000000',
      CP_RATE_LIMIT_LOGIN_PER_IP: '1000000',
      CP_RATE_LIMIT_REGISTER_PER_IP: '1000000',
      // Tests back-date a deleted project and wait for its purge.
      CP_PROJECT_PURGE_INTERVAL_MS: '200',
      // Results carry signed artifact URLs (the client's test downloads through one).
      CP_ARTIFACT_URL_SECRET: 'test-artifact-url-secret-of-32-bytes!!',
    }),
    startProcess('gateway', 'gateway/src/main.ts', {
      GATEWAY_HOST: '127.0.0.1',
      GATEWAY_PORT: String(gatewayPort),
      GATEWAY_CONTROL_PLANE_URL: `http://127.0.0.1:${httpPort}`,
      GATEWAY_REDIS_URL: redisUrl,
      GATEWAY_REDIS_PREFIX: redisPrefix,
      GATEWAY_LOG_LEVEL: 'info',
    }),
  ];
  if (opts.agent) {
    procs.push(
      startProcess('runner-agent', 'runner-agent/src/main.ts', {
        AGENT_ID: runnerId,
        AGENT_REGION: region,
        AGENT_REDIS_URL: redisUrl,
        AGENT_REDIS_PREFIX: redisPrefix,
        AGENT_CONTROL_PLANE_URL: `http://127.0.0.1:${rpcPort}`,
        AGENT_RUNNER_TOKEN: runnerToken,
        AGENT_CAPACITY: '2',
        AGENT_IMAGE_REPO: imageRepo,
        AGENT_METRICS_PORT: String(agentMetricsPort),
        // The suite runs under `sandbox` isolation unless told otherwise (the bench uses this).
        ...(process.env['AGENT_ISOLATION'] ? { AGENT_ISOLATION: process.env['AGENT_ISOLATION'] } : {}),
        // The bench puts the stack's sandboxes under a cgroup of their own to read their CPU.
        ...(process.env['AGENT_CGROUP_PARENT']
          ? { AGENT_CGROUP_PARENT: process.env['AGENT_CGROUP_PARENT'] }
          : {}),
        AGENT_LOG_LEVEL: 'info',
        MUSCODE_CANARY: canary,
      }),
    );
  }
  const apiUrl = `http://127.0.0.1:${gatewayPort}/api/v1`;
  try {
    await waitFor(
      'a healthy stack',
      // Without an agent the control-plane answers "degraded" (no runners) once it is up; a 503
      // of the gateway's own (no control-plane yet) is an error envelope instead.
      async () => {
        const r = await fetch(`${apiUrl}/health`);
        if (r.status === 200) return true;
        const body = (await r.json().catch(() => null)) as { status?: string } | null;
        return !opts.agent && body?.status === 'degraded' ? true : undefined;
      },
      60_000,
      250,
    );
  } catch (err) {
    for (const p of procs) process.stderr.write(`--- ${p.name}\n${p.output().slice(-5000)}\n`);
    await Promise.all(procs.map((p) => p.stop()));
    await dropDatabase(dbName);
    await dropDatabase(templateName);
    await dropBucket(s3);
    throw err;
  }

  project.provide('apiUrl', apiUrl);
  project.provide('controlPlaneUrl', `http://127.0.0.1:${httpPort}/api/v1`);
  project.provide('rpcUrl', `http://127.0.0.1:${rpcPort}`);
  project.provide('databaseUrl', databaseUrl(dbName));
  project.provide('redisUrl', redisUrl);
  project.provide('redisPrefix', redisPrefix);
  project.provide('runnerId', runnerId);
  project.provide('region', region);
  project.provide('canary', canary);
  project.provide('agentMetricsUrl', `http://127.0.0.1:${agentMetricsPort}/metrics`);
  project.provide('runnerToken', runnerToken);
  project.provide('s3', s3);
  project.provide('templateDatabase', templateName);

  return async () => {
    await Promise.all(procs.map((p) => p.stop()));
    if (process.env['TEST_KEEP_LOGS']) {
      for (const p of procs) process.stderr.write(`--- ${p.name}\n${p.output().slice(-20000)}\n`);
    }
    await dropDatabase(dbName);
    await dropDatabase(templateName);
    await dropBucket(s3).catch(() => undefined);
    const redis = new Redis(redisUrl);
    await deleteKeys(redis, redisPrefix);
    redis.disconnect();
  };
}

/** The `sandbox` tier: the whole stack, runner agent included. */
export default function setup(project: TestProject) {
  return startStack(project, { agent: true });
}
