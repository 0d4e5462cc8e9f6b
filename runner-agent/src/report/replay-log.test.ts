import { describe, expect, it } from 'vitest';
import { createReplayLog } from './replay-log.js';

async function drain<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('replay log', () => {
  it('gives every reader all items from the start, live ones included, until closed', async () => {
    const log = createReplayLog<number>();
    log.push(1);
    const first = drain(log.read());
    log.push(2);
    await new Promise((r) => setTimeout(r, 5));
    // A reader that starts late (a resumed stream) still sees everything.
    const second = drain(log.read());
    log.push(3);
    log.close();
    log.push(4);
    expect(await first).toEqual([1, 2, 3]);
    expect(await second).toEqual([1, 2, 3]);
    expect(await drain(log.read())).toEqual([1, 2, 3]);
  });
});
