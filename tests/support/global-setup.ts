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
  }
}

/**
 * One real stack for the run: a fresh database, a Redis key prefix of its own, and the
 * control-plane, gateway and runner agent as separate processes on free ports.
 */
export default async function setup(project: TestProject) {
  const run = randomId();
  const dbName = `muscode_test_${run}`;
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
  await createDatabase(dbName);
  await migrate(databaseUrl(dbName), `${root}/migrations`);

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
    }),
    startProcess('gateway', 'gateway/src/main.ts', {
      GATEWAY_HOST: '127.0.0.1',
      GATEWAY_PORT: String(gatewayPort),
      GATEWAY_CONTROL_PLANE_URL: `http://127.0.0.1:${httpPort}`,
      GATEWAY_REDIS_URL: redisUrl,
      GATEWAY_REDIS_PREFIX: redisPrefix,
      GATEWAY_LOG_LEVEL: 'info',
    }),
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
  ];
  const apiUrl = `http://127.0.0.1:${gatewayPort}/api/v1`;
  try {
    await waitFor(
      'a healthy stack',
      async () => ((await fetch(`${apiUrl}/health`)).status === 200 ? true : undefined),
      60_000,
      250,
    );
  } catch (err) {
    for (const p of procs) process.stderr.write(`--- ${p.name}\n${p.output().slice(-5000)}\n`);
    await Promise.all(procs.map((p) => p.stop()));
    await dropDatabase(dbName);
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

  return async () => {
    await Promise.all(procs.map((p) => p.stop()));
    if (process.env['TEST_KEEP_LOGS']) {
      for (const p of procs) process.stderr.write(`--- ${p.name}\n${p.output().slice(-20000)}\n`);
    }
    await dropDatabase(dbName);
    const redis = new Redis(redisUrl);
    await deleteKeys(redis, redisPrefix);
    redis.disconnect();
  };
}
