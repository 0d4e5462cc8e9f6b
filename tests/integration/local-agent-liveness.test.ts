import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newAdmin } from '../support/api.js';
import { startOwnRegion, type OwnRegion } from '../support/own-region.js';
import { waitFor } from '../support/stack.js';

/**
 * A killed agent on the control-plane's own host must not look alive for its heartbeat's TTL:
 * the control-plane checks the pid and start time the agent beat with.
 */
describe('a dead agent on the same host', () => {
  let own: OwnRegion;
  beforeAll(async () => {
    own = await startOwnRegion('dead');
  });
  afterAll(async () => {
    await own?.stop();
  });

  // Runner details are for administrators; the public answer says only up or degraded.
  let adminToken = '';
  const listed = async () => {
    adminToken ||= (await newAdmin()).token;
    const res = await fetch(`${own.cpUrl}/health`, { headers: { authorization: `Bearer ${adminToken}` } });
    const body = (await res.json()) as { runners: { id: string }[] };
    return body.runners.some((r) => r.id === own.agentId('doomed'));
  };

  it('leaves /health as soon as its process is gone, not at the end of its heartbeat TTL', async () => {
    const agent = own.startAgent('doomed', { AGENT_CAPACITY: '1' });
    await waitFor('the agent', async () => ((await listed()) ? true : undefined), 60_000, 200);
    const beat = await own.heartbeat('doomed');
    expect(beat?.['pid']).toBe(agent.child.pid);

    agent.child.kill('SIGKILL');
    await once(agent.child, 'exit');
    // Its heartbeat (TTL 15 s) was written moments ago, yet the control-plane knows.
    expect(await listed()).toBe(false);
    expect(await own.heartbeat('doomed')).toBeUndefined();
  });
});
