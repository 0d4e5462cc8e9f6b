import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { scriptCodes } from '@muscode/common';
import { createStreams } from '../../control-plane/src/infra/streams.js';
import { fileRedisPrefix } from '../support/file-db.js';

// Against the real Redis, under a prefix of this file's own (its keys are SCANned away after).
const { redis, prefix } = fileRedisPrefix('streams-test');
const streams = createStreams(redis, { prefix, eventsMaxLen: 1000, eventsTtlSeconds: 60 });

async function events(id: string) {
  const entries = await redis.xrange(`${prefix}exec:{${id}}:events`, '-', '+');
  return entries.map(
    ([, f]) => JSON.parse(f[1]!) as { type: string; seq: number; status?: string; data?: string },
  );
}

const out = (data: string) => ({ type: 'output' as const, seq: 0, stream: 'stdout' as const, data });

describe('execution event stream', () => {
  it('numbers events contiguously and records each runner report once', async () => {
    const id = randomUUID();
    expect(await streams.appendReported(id, { attempt: 1, runnerSeq: 1 }, out('a'))).toBe(1);
    expect(await streams.appendReported(id, { attempt: 1, runnerSeq: 2 }, null)).toBe(
      scriptCodes.appendEvent.recorded,
    );
    expect(await streams.appendReported(id, { attempt: 1, runnerSeq: 3 }, out('b'))).toBe(2);
    // A resent stream (after a reconnect) repeats seqs 1–3: all skipped.
    for (const runnerSeq of [1, 2, 3]) {
      expect(await streams.appendReported(id, { attempt: 1, runnerSeq }, out('x'))).toBe(
        scriptCodes.appendEvent.duplicate,
      );
    }
    await streams.appendEvent(id, { type: 'status', seq: 999, status: 'running' });
    expect(
      await streams.appendReported(
        id,
        { attempt: 1, runnerSeq: 4 },
        { type: 'result', seq: 0, status: 'completed' },
      ),
    ).toBe(4);
    // A second result (another writer, a repeated report) is never appended.
    expect(
      await streams.appendReported(
        id,
        { attempt: 1, runnerSeq: 5 },
        { type: 'result', seq: 0, status: 'cancelled' },
      ),
    ).toBe(scriptCodes.appendEvent.recorded);
    // Nor a status after it (a late `started` of an execution cancelled before it ran).
    expect(
      await streams.appendReported(
        id,
        { attempt: 1, runnerSeq: 6 },
        { type: 'status', seq: 0, status: 'running' },
      ),
    ).toBe(scriptCodes.appendEvent.recorded);
    expect(await events(id)).toEqual([
      { type: 'output', seq: 1, stream: 'stdout', data: 'a' },
      { type: 'output', seq: 2, stream: 'stdout', data: 'b' },
      { type: 'status', seq: 3, status: 'running' },
      { type: 'result', seq: 4, status: 'completed' },
    ]);
  });

  it('ignores an older attempt and marks where a later one starts over', async () => {
    const id = randomUUID();
    await streams.appendReported(id, { attempt: 1, runnerSeq: 1 }, out('first try'));
    expect(await streams.appendReported(id, { attempt: 2, runnerSeq: 1 }, out('second try'))).toBe(3);
    expect(await streams.appendReported(id, { attempt: 1, runnerSeq: 2 }, out('late'))).toBe(
      scriptCodes.appendEvent.stale,
    );
    expect((await events(id)).map((e) => [e.seq, e.type, e.status ?? e.data])).toEqual([
      [1, 'output', 'first try'],
      [2, 'status', 'restarted'],
      [3, 'output', 'second try'],
    ]);
  });
});
