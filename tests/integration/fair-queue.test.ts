import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { redisKeys, type Job } from '@muscode/common';
import { createFairQueue } from '../../control-plane/src/infra/fair-queue.js';
import { fileRedisPrefix } from '../support/file-db.js';

// The fair queue's scripts against the real Redis of the test stack, under a prefix of this
// file's own; the "runner" here takes the stream's entries and deletes them when done, as an
// agent does once a result is in.
// (Its keys are deleted with SCAN after the file, never KEYS: the Redis is shared.)
const { redis, prefix } = fileRedisPrefix('fair-test');
const keys = redisKeys(prefix);
const fair = createFairQueue(redis, { prefix });

const job = (ownerId: string): Job => ({
  executionId: randomUUID(),
  ownerId,
  language: 'python',
  files: [{ path: 'main.py', content: 'print(1)' }],
  mainFile: 'main.py',
  stdin: '',
  interactive: false,
  limits: {} as Job['limits'],
  enqueuedAt: Date.now(),
});

const slots = (region: string, runnerId: string, capacity: number, ttlMs = 60_000) =>
  redis.hset(keys.slots(region), runnerId, `${capacity}:${Date.now() + ttlMs}`);

/** Entries of the region's job stream, oldest first: [entry id, execution id, owner]. */
async function inStream(region: string) {
  const entries = await redis.xrange(keys.jobs(region), '-', '+');
  return entries.map(([id, f]) => ({
    id,
    exec: f[f.indexOf('exec') + 1]!,
    owner: f[f.indexOf('owner') + 1]!,
  }));
}

describe('fair queue', () => {
  it("gives another user's job the next free slot of a 2-slot region, not the 3rd of 8 queued", async () => {
    const region = `fair-${randomUUID().slice(0, 8)}`;
    await slots(region, 'runner-a', 2);
    const a = Array.from({ length: 8 }, () => job('user-a'));
    for (const j of a) await fair.enqueue(region, j);
    const b = job('user-b');
    await fair.enqueue(region, b);

    // Only what the slots hold enters the stream: A had the region alone, so A's first two.
    expect((await inStream(region)).map((e) => e.exec)).toEqual([a[0]!.executionId, a[1]!.executionId]);
    // B's job is next in line, ahead of A's remaining six.
    expect(await fair.position(region, 'user-b', b.executionId)).toBe(1);
    expect(await fair.position(region, 'user-a', a[2]!.executionId)).toBe(2);
    expect(await fair.position(region, 'user-a', a[7]!.executionId)).toBe(7);

    // Run to the end, one slot freeing at a time, recording the order jobs were handed out.
    const order = (await inStream(region)).map((e) => e.exec);
    for (;;) {
      const running = await inStream(region);
      expect(running.length).toBeLessThanOrEqual(2);
      if (running.length === 0) break;
      await redis.xdel(keys.jobs(region), running[0]!.id);
      await fair.dispatch(region);
      for (const e of await inStream(region)) if (!order.includes(e.exec)) order.push(e.exec);
    }
    expect(order[2]).toBe(b.executionId);
    expect(order.filter((id) => id !== b.executionId)).toEqual(a.map((j) => j.executionId));
    expect(await fair.waitingCount(region)).toBe(0);
  });

  it('caps each user at their share of the slots while others wait, round-robin', async () => {
    const region = `fair-${randomUUID().slice(0, 8)}`;
    await slots(region, 'runner-a', 3);
    await slots(region, 'runner-b', 3);
    const users = ['u1', 'u2', 'u3'];
    for (let i = 0; i < 4; i++) for (const u of users) await fair.enqueue(region, job(u));
    // 6 slots, 3 active users: 2 each, never 3 for one while another waits.
    const held = (entries: { owner: string }[]) =>
      users.map((u) => entries.filter((e) => e.owner === u).length);
    expect(held(await inStream(region))).toEqual([2, 2, 2]);
    // u1's slot frees: only u1 is under its share, so it is u1's turn again.
    const first = (await inStream(region)).find((e) => e.owner === 'u1')!;
    await redis.xdel(keys.jobs(region), first.id);
    await fair.dispatch(region);
    expect(held(await inStream(region))).toEqual([2, 2, 2]);
  });

  it('hands nothing out without live slots, and expired slots count for nothing', async () => {
    const region = `fair-${randomUUID().slice(0, 8)}`;
    const j = job('user-a');
    await fair.enqueue(region, j);
    expect(await inStream(region)).toEqual([]);
    expect(await fair.position(region, 'user-a', j.executionId)).toBe(1);
    await slots(region, 'runner-gone', 4, -1000);
    expect(await fair.dispatch(region)).toBe(0);
    await slots(region, 'runner-new', 1);
    expect(await fair.dispatch(region)).toBe(1);
    expect((await inStream(region)).map((e) => e.exec)).toEqual([j.executionId]);
    expect(await fair.position(region, 'user-a', j.executionId)).toBe(0);
  });

  it('takes a cancelled waiting job out, so it holds no slot later', async () => {
    const region = `fair-${randomUUID().slice(0, 8)}`;
    const [x, y] = [job('user-a'), job('user-a')];
    await fair.enqueue(region, x);
    await fair.enqueue(region, y);
    expect(await fair.unqueue(region, 'user-a', x.executionId)).toBe(true);
    expect(await fair.unqueue(region, 'user-a', x.executionId)).toBe(false);
    expect(await fair.position(region, 'user-a', y.executionId)).toBe(1);
    await slots(region, 'runner-a', 2);
    await fair.dispatch(region);
    expect((await inStream(region)).map((e) => e.exec)).toEqual([y.executionId]);
  });
});
