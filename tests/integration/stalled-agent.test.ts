import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { api, newUser, waitForResult, type TestUser } from '../support/api.js';
import { imageRepo, randomId, startProcess, waitFor, type Proc } from '../support/stack.js';

// An agent of its own, in a region of its own, whose process the test can stop and continue:
// a host that stalls (SIGSTOP, a swapping machine) while a short program runs. When it goes
// on, its own deadline timer fires late, after the program finished in the sandbox; the
// verdict must be the program's, with its output and the wall time measured in the sandbox.
const region = `stall-${randomId()}`;
const redis = new Redis(inject('redisUrl'));
let agent: Proc;
let user: TestUser;

beforeAll(async () => {
  user = await newUser();
  agent = startProcess('runner-agent-stall', 'runner-agent/src/main.ts', {
    AGENT_ID: `stall-agent-${randomId()}`,
    AGENT_HOST_ID: `stall-host-${randomId()}`,
    AGENT_REGION: region,
    AGENT_REDIS_URL: inject('redisUrl'),
    AGENT_REDIS_PREFIX: inject('redisPrefix'),
    AGENT_CONTROL_PLANE_URL: inject('rpcUrl'),
    AGENT_RUNNER_TOKEN: inject('runnerToken'),
    AGENT_CAPACITY: '1',
    AGENT_POOL_SIZE: '0',
    AGENT_IMAGE_REPO: imageRepo,
    AGENT_LOG_LEVEL: 'info',
  });
  await waitFor(
    'the stall agent to start',
    async () => (agent.output().includes('runner agent started') ? true : undefined),
    60_000,
  );
});

afterAll(async () => {
  agent.child.kill('SIGCONT');
  await agent.stop();
  redis.disconnect();
});

describe('a stalled agent', () => {
  it(
    'stores the finished program’s verdict, output and wall time, not a late timeout',
    { timeout: 120_000 },
    async () => {
      const timeout = 6;
      const r = await api('POST', '/execute', {
        token: user.token,
        body: {
          language: 'python',
          code: 'import time\nprint("start", flush=True)\ntime.sleep(2)\nprint("done")\n',
          timeout,
          region,
        },
      });
      expect(r.status).toBe(200);
      const id = r.body.data.executionId as string;

      // Once the program has printed (the event is in the execution's stream), the agent stops
      // for longer than its own deadline (the job's limits plus the start grace, 12 s).
      const events = `${inject('redisPrefix')}exec:{${id}}:events`;
      await waitFor(
        'the program to start printing',
        async () => {
          const entries = await redis.xrange(events, '-', '+');
          return entries.some(([, f]) => (JSON.parse(f[1]!) as { type: string }).type === 'output')
            ? true
            : undefined;
        },
        60_000,
        50,
      );
      agent.child.kill('SIGSTOP');
      await new Promise((res) => setTimeout(res, 15_000));
      agent.child.kill('SIGCONT');

      const result = await waitForResult(user.token, id, 60_000);
      expect(result.status).toBe('completed');
      expect(result.output).toBe('start\ndone\n');
      // The program's own wall time (it slept 2 s), not 0 and not the stall.
      expect(result.executionTime).toBeGreaterThanOrEqual(2);
      expect(result.executionTime).toBeLessThan(timeout);
    },
  );
});
