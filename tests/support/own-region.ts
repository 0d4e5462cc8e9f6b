import { Redis } from 'ioredis';
import { inject } from 'vitest';
import { freePort, imageRepo, randomId, root, startProcess, waitFor, type Proc } from './stack.js';

/**
 * A region of its own on the test stack's database and Redis: a control-plane (whose RPC port
 * its agents report to) and agents started on demand. Executions are submitted through the
 * shared API with `region`, so they reach only these agents.
 */
export interface OwnRegion {
  region: string;
  /** The region's own control-plane's REST API (for `/health` and `/runners`). */
  cpUrl: string;
  startAgent(name: string, env?: Record<string, string>): Proc;
  /** The agent's id in this region. */
  agentId(name: string): string;
  /** The agent's last heartbeat as the control-plane recorded it (undefined once it expired). */
  heartbeat(name: string): Promise<Record<string, unknown> | undefined>;
  redis: Redis;
  /** The region control-plane's Connect endpoint and the runner token it accepts. */
  rpcUrl: string;
  runnerToken: string;
  stop(): Promise<void>;
}

export async function startOwnRegion(prefix: string, cpEnv: Record<string, string> = {}): Promise<OwnRegion> {
  const region = `${prefix}-${randomId()}`;
  const runnerToken = randomId(16);
  const [httpPort, rpcPort] = [await freePort(), await freePort()];
  const procs: Proc[] = [];
  const cp = startProcess(`control-plane-${region}`, 'control-plane/src/main.ts', {
    CP_HTTP_PORT: String(httpPort),
    CP_RPC_PORT: String(rpcPort),
    CP_DATABASE_URL: inject('databaseUrl'),
    CP_REDIS_URL: inject('redisUrl'),
    CP_REDIS_PREFIX: inject('redisPrefix'),
    CP_DEFAULT_REGION: region,
    CP_RUNNER_TOKEN: runnerToken,
    CP_JWT_PRIVATE_KEY_FILE: process.env['CP_JWT_PRIVATE_KEY_FILE'] ?? `${root}/.state/jwt-ed25519.pem`,
    CP_LOG_LEVEL: 'warn',
    ...cpEnv,
  });
  procs.push(cp);
  const cpUrl = `http://127.0.0.1:${httpPort}/api/v1`;
  await waitFor(
    'the region control-plane',
    async () => ((await fetch(`${cpUrl}/languages`)).ok ? true : undefined),
    60_000,
  );
  const redis = new Redis(inject('redisUrl'));
  const agentId = (name: string) => `${name}-${region}`;
  return {
    region,
    cpUrl,
    redis,
    agentId,
    rpcUrl: `http://127.0.0.1:${rpcPort}`,
    runnerToken,
    async heartbeat(name) {
      const json = await redis.get(`${inject('redisPrefix')}runner:${agentId(name)}`);
      return json ? (JSON.parse(json) as Record<string, unknown>) : undefined;
    },
    startAgent(name, env = {}) {
      const agent = startProcess(`agent-${name}`, 'runner-agent/src/main.ts', {
        AGENT_ID: agentId(name),
        AGENT_REGION: region,
        AGENT_REDIS_URL: inject('redisUrl'),
        AGENT_REDIS_PREFIX: inject('redisPrefix'),
        AGENT_CONTROL_PLANE_URL: `http://127.0.0.1:${rpcPort}`,
        AGENT_RUNNER_TOKEN: runnerToken,
        AGENT_IMAGE_REPO: imageRepo,
        AGENT_POOL_SIZE: '0',
        AGENT_LOG_LEVEL: 'info',
        ...env,
      });
      procs.push(agent);
      return agent;
    },
    async stop() {
      await Promise.all(procs.reverse().map((p) => p.stop()));
      redis.disconnect();
    },
  };
}
