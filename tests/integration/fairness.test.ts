import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, newUser, waitForResult } from '../support/api.js';
import { startOwnRegion, type OwnRegion } from '../support/own-region.js';
import { waitFor } from '../support/stack.js';

/**
 * One user's long jobs must not hold a region's slots while another user waits: a 2-slot
 * agent of a region of its own, 8 sleeping jobs of one user, then one hello of another.
 */
describe('fair share of a region', () => {
  let own: OwnRegion;
  beforeAll(async () => {
    own = await startOwnRegion('fair');
    own.startAgent('fair', { AGENT_CAPACITY: '2' });
    await waitFor('the 2-slot agent', async () => (await own.heartbeat('fair')) ?? undefined, 60_000, 200);
  });
  afterAll(async () => {
    await own?.stop();
  });

  it("runs another user's hello before the 3rd of one user's 8 sleeping jobs, and says where it waits", async () => {
    const [a, b] = [await newUser(), await newUser()];
    const sleeper = { language: 'python', code: 'import time\ntime.sleep(2)\n', region: own.region };
    const aIds: string[] = [];
    for (let i = 0; i < 8; i++) {
      const r = await api('POST', '/execute', { token: a.token, body: sleeper });
      expect(r.status).toBe(200);
      aIds.push(r.body.data.executionId as string);
    }
    const submitted = await api('POST', '/execute', {
      token: b.token,
      body: { language: 'python', code: 'print("hello")\n', region: own.region },
    });
    expect(submitted.status).toBe(200);
    const bId = submitted.body.data.executionId as string;

    // While B's job waits it says so: next in line, ahead of A's remaining jobs.
    const seen = await api('GET', `/execute/${bId}`, { token: b.token });
    expect(seen.body.data.status).toBe('queued');
    expect(seen.body.data.queuePosition).toBe(1);
    const last = await api('GET', `/execute/${aIds[7]}`, { token: a.token });
    expect(last.body.data.status).toBe('queued');
    expect(last.body.data.queuePosition).toBeGreaterThan(1);

    const bResult = await waitForResult(b.token, bId, 120_000);
    expect(bResult.status).toBe('completed');
    expect(bResult.output).toBe('hello\n');
    const aResults = [];
    for (const id of aIds) aResults.push(await waitForResult(a.token, id, 120_000));
    expect(aResults.map((r) => r.status)).toEqual(Array(8).fill('completed'));

    // A's first two had the region alone when B came; the next slot to free was B's (A's 3rd
    // may take the other one if both free at once). FIFO would start B after all eight.
    const bStart = Date.parse(bResult.startedAt);
    const startedAfterB = aResults.filter((r) => Date.parse(r.startedAt) > bStart).length;
    expect(startedAfterB).toBeGreaterThanOrEqual(5);
  }, 180_000);
});
