import { inject } from 'vitest';
import { freePort, startProcess, waitFor, type Proc } from './stack.js';

/** A second gateway process on the test stack's control-plane and Redis (shares nothing else). */
export async function startGateway(
  name: string,
  env: Record<string, string> = {},
): Promise<{ apiUrl: string; healthUrl: string; proc: Proc }> {
  const port = await freePort();
  const controlPlane = inject('controlPlaneUrl').replace(/\/api\/v1$/, '');
  const proc = startProcess(name, 'gateway/src/main.ts', {
    GATEWAY_HOST: '127.0.0.1',
    GATEWAY_PORT: String(port),
    GATEWAY_CONTROL_PLANE_URL: controlPlane,
    GATEWAY_REDIS_URL: inject('redisUrl'),
    GATEWAY_REDIS_PREFIX: inject('redisPrefix'),
    GATEWAY_LOG_LEVEL: 'warn',
    ...env,
  });
  const healthUrl = `http://127.0.0.1:${port}/healthz`;
  try {
    await waitFor('the second gateway', async () => ((await fetch(healthUrl)).ok ? true : undefined), 30_000);
  } catch (err) {
    process.stderr.write(proc.output());
    await proc.stop();
    throw err;
  }
  return { apiUrl: `http://127.0.0.1:${port}/api/v1`, healthUrl, proc };
}

/** The gateway's own view of itself: connections, follows, memory. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
export async function gatewayHealth(healthUrl: string): Promise<any> {
  return (await fetch(healthUrl)).json();
}
