import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { api, newUser, waitForResult } from '../support/api.js';
import { freePort, imageRepo, randomId, root, startProcess, waitFor, type Proc } from '../support/stack.js';
import { WsClient } from '../support/ws.js';

const lines = 30;
const ticker = `import time\nfor i in range(${lines}):\n    print('line', i, flush=True)\n    time.sleep(0.1)\n`;
const expected = Array.from({ length: lines }, (_, i) => `line ${i}\n`).join('');

/**
 * A control-plane and a runner agent of their own region, on the test stack's database and
 * Redis, so the control-plane can be killed mid-execution without touching the shared stack.
 */
describe('runner → control-plane report stream', () => {
  const region = `resume-${randomId()}`;
  const runnerToken = randomId(16);
  let httpPort = 0;
  let rpcPort = 0;
  let cp: Proc | undefined;
  let agent: Proc | undefined;

  const startControlPlane = async () => {
    const proc = startProcess('control-plane-resume', 'control-plane/src/main.ts', {
      CP_HTTP_PORT: String(httpPort),
      CP_RPC_PORT: String(rpcPort),
      CP_DATABASE_URL: inject('databaseUrl'),
      CP_REDIS_URL: inject('redisUrl'),
      CP_REDIS_PREFIX: inject('redisPrefix'),
      CP_DEFAULT_REGION: region,
      CP_RUNNER_TOKEN: runnerToken,
      CP_JWT_PRIVATE_KEY_FILE: process.env['CP_JWT_PRIVATE_KEY_FILE'] ?? `${root}/.state/jwt-ed25519.pem`,
      CP_LOG_LEVEL: 'warn',
    });
    await waitFor(
      'the resume control-plane',
      async () => ((await fetch(`http://127.0.0.1:${httpPort}/api/v1/languages`)).ok ? true : undefined),
      60_000,
    );
    return proc;
  };

  beforeAll(async () => {
    [httpPort, rpcPort] = [await freePort(), await freePort()];
    cp = await startControlPlane();
    agent = startProcess('agent-resume', 'runner-agent/src/main.ts', {
      AGENT_ID: `agent-${region}`,
      AGENT_REGION: region,
      AGENT_REDIS_URL: inject('redisUrl'),
      AGENT_REDIS_PREFIX: inject('redisPrefix'),
      AGENT_CONTROL_PLANE_URL: `http://127.0.0.1:${rpcPort}`,
      AGENT_RUNNER_TOKEN: runnerToken,
      AGENT_CAPACITY: '1',
      AGENT_IMAGE_REPO: imageRepo,
      AGENT_LOG_LEVEL: 'info',
    });
  });
  afterAll(async () => {
    await agent?.stop();
    await cp?.stop();
  });

  it('survives a control-plane restart mid-stream: no output lost or doubled, one result', async () => {
    const user = await newUser();
    const submitted = await api('POST', '/execute', {
      token: user.token,
      body: { language: 'python', code: ticker, region },
    });
    expect(submitted.status).toBe(200);
    const id = submitted.body.data.executionId as string;
    const ws = await WsClient.connect(user.token);
    ws.send({ type: 'subscribe', executionId: id, fromSeq: 0 });
    await ws.next(() => ws.bytes(id).toString().includes('line 5\n'), 60_000);

    cp!.child.kill('SIGKILL');
    await new Promise((r) => cp!.child.once('exit', r));
    await new Promise((r) => setTimeout(r, 500));
    cp = await startControlPlane();

    const result = await ws.result(id, 60_000);
    expect(result['status']).toBe('completed');
    expect(result['output']).toBe(expected);
    expect(ws.bytes(id).toString()).toBe(expected);
    const seqs = ws.messages.filter((m) => m.executionId === id && m.seq > 0).map((m) => m.seq as number);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    expect((await waitForResult(user.token, id)).output).toBe(expected);

    // What Redis holds for the execution: every chunk once, one result.
    const redis = new Redis(inject('redisUrl'));
    try {
      const entries = await redis.xrange(`${inject('redisPrefix')}exec:{${id}}:events`, '-', '+');
      const events = entries.map(([, f]) => JSON.parse(f[1]!) as { type: string; data?: string });
      expect(events.filter((e) => e.type === 'result')).toHaveLength(1);
      const stdout = Buffer.concat(
        events.filter((e) => e.type === 'output').map((e) => Buffer.from(e.data!, 'base64')),
      );
      expect(stdout.toString()).toBe(expected);
    } finally {
      redis.disconnect();
    }
    ws.close();
  });
});
