import { afterAll, describe, expect, it } from 'vitest';
import { compareStreamIds, createStreamFollower, type StreamEntry } from '@muscode/common';
import { fileRedisPrefix } from '../support/file-db.js';

// Against the real Redis, under a prefix of this file's own (its keys are SCANned away after).
const { redis, prefix } = fileRedisPrefix('follower');
const follower = createStreamFollower(redis, { blockMs: 30_000 });

afterAll(() => follower.close());

const add = (key: string, value: string) => redis.xadd(key, '*', 'v', value);

/** Follows `key` and resolves once `n` entries came; records every value in order. */
function collect(key: string, after: string, n: number) {
  const values: string[] = [];
  let done!: () => void;
  const reached = new Promise<void>((r) => (done = r));
  const handle = follower.follow(key, after, (entries: StreamEntry[]) => {
    for (const e of entries) values.push(e.fields[1]!);
    if (values.length >= n) done();
  });
  return { values, reached, stop: () => handle.stop() };
}

describe('stream follower (one reader for many streams)', () => {
  it('orders stream ids numerically', () => {
    expect(compareStreamIds('9-0', '10-0')).toBeLessThan(0);
    expect(compareStreamIds('10-2', '10-10')).toBeLessThan(0);
    expect(compareStreamIds('5-1', '5-1')).toBe(0);
    expect(compareStreamIds('1700000000000-0', '999-5')).toBeGreaterThan(0);
  });

  it('gives what is there, then what comes, in order and once, while the reader blocks on other streams', async () => {
    const a = `${prefix}a`;
    const b = `${prefix}b`;
    await add(a, 'a1');
    await add(a, 'a2');
    const fa = collect(a, '0', 4);
    // The reader is now blocked (30 s) on `a` alone; `b` must join at once, not after the block.
    await add(b, 'b1');
    const fb = collect(b, '0', 2);
    await add(b, 'b2');
    await fb.reached;
    expect(fb.values).toEqual(['b1', 'b2']);
    await add(a, 'a3');
    await add(a, 'a4');
    await fa.reached;
    expect(fa.values).toEqual(['a1', 'a2', 'a3', 'a4']);
    fa.stop();
    fb.stop();
  });

  it('serves two followers of one stream from their own ids, and a stopped one gets nothing more', async () => {
    const key = `${prefix}shared`;
    const first = await add(key, 's1');
    await add(key, 's2');
    const all = collect(key, '0', 3);
    const later = collect(key, first!, 2);
    await add(key, 's3');
    await all.reached;
    await later.reached;
    expect(all.values).toEqual(['s1', 's2', 's3']);
    expect(later.values).toEqual(['s2', 's3']);
    later.stop();
    const more = collect(key, '0', 5);
    await add(key, 's4');
    await add(key, 's5');
    await more.reached;
    expect(more.values).toEqual(['s1', 's2', 's3', 's4', 's5']);
    expect(all.values).toEqual(['s1', 's2', 's3', 's4', 's5']);
    expect(later.values).toEqual(['s2', 's3']);
    all.stop();
    more.stop();
  });

  it('keeps many streams on one connection', async () => {
    const before = Number((await redis.info('clients')).match(/connected_clients:(\d+)/)![1]);
    const followers = Array.from({ length: 50 }, (_, i) => ({
      key: `${prefix}many-${i}`,
      f: collect(`${prefix}many-${i}`, '0', 1),
    }));
    await Promise.all(followers.map(({ key }, i) => add(key, `m${i}`)));
    await Promise.all(followers.map(({ f }) => f.reached));
    followers.forEach(({ f }, i) => expect(f.values).toEqual([`m${i}`]));
    const during = Number((await redis.info('clients')).match(/connected_clients:(\d+)/)![1]);
    // Other clients of the shared Redis may come and go; 50 followers must not mean 50 connections.
    expect(during - before).toBeLessThan(10);
    for (const { f } of followers) f.stop();
  });
});
