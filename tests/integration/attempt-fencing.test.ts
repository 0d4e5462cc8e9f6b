import { create } from '@bufbuild/protobuf';
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { ReportRequestSchema, RunnerService, Verdict } from '@muscode/proto/runner/v1';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, newUser, waitForResult } from '../support/api.js';
import { startOwnRegion, type OwnRegion } from '../support/own-region.js';
import { waitFor } from '../support/stack.js';

/**
 * The attempt number is the fence between a job's deliveries; a report must not be able to
 * raise it on its own. A holder of the runner token reports a made-up attempt for a job a real
 * agent is running, under that agent's id: the real result must still be the one recorded.
 */
describe('attempt fencing', () => {
  let own: OwnRegion;
  beforeAll(async () => {
    own = await startOwnRegion('fence');
    own.startAgent('fence', { AGENT_CAPACITY: '1' });
    await waitFor('the agent', async () => (await own.heartbeat('fence')) ?? undefined, 60_000, 200);
  });
  afterAll(async () => {
    await own?.stop();
  });

  it("ignores a report of an attempt the job queue does not back; the real attempt's result stands", async () => {
    const user = await newUser();
    const r = await api('POST', '/execute', {
      token: user.token,
      body: {
        language: 'python',
        code: 'import time\nprint("real", flush=True)\ntime.sleep(3)\n',
        region: own.region,
      },
    });
    const id = r.body.data.executionId as string;
    await waitFor(
      'the job running',
      async () =>
        (await api('GET', `/execute/${id}`, { token: user.token })).body.data.status === 'running'
          ? true
          : undefined,
      60_000,
    );

    const client = createClient(
      RunnerService,
      createGrpcTransport({
        baseUrl: own.rpcUrl,
        interceptors: [
          (next) => (req) => {
            req.header.set('authorization', `Bearer ${own.runnerToken}`);
            return next(req);
          },
        ],
      }),
    );
    for (const [runnerId, attempt] of [
      [own.agentId('fence'), 99],
      ['someone-else', 2],
    ] as const) {
      await client.report(
        (async function* () {
          yield create(ReportRequestSchema, {
            executionId: id,
            attempt,
            runnerId,
            seq: 1,
            event: {
              case: 'finished',
              value: { verdict: Verdict.COMPLETED, exitCode: 0, stdout: Buffer.from('forged\n') },
            },
          });
        })(),
      );
    }

    const result = await waitForResult(user.token, id, 60_000);
    expect(result.status).toBe('completed');
    expect(result.output).toBe('real\n');
  });
});
