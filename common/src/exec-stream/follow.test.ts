import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ExecutionEvent } from './codec.js';
import { followExecution, type RowReason } from './follow.js';

type Row = { executionId: string; status: string; output?: string };

/** A source the test pushes events into, and a log of everything the follower did, in order. */
function harness(rows: (Row | null | Error)[], opts: { quietMs?: number } = {}) {
  const log: string[] = [];
  let push: ((e: ExecutionEvent) => void) | undefined;
  const reads: RowReason[] = [];
  const follow = followExecution<Row>({
    executionId: 'e1',
    quietMs: opts.quietMs ?? 1000,
    settleMs: 10,
    subscribe(onEvent) {
      push = onEvent;
      log.push('subscribed');
      return () => log.push('unsubscribed');
    },
    onEvent: (e) => log.push(`event ${e.type} ${e.seq}`),
    readRow(why) {
      reads.push(why);
      log.push(`read ${why}`);
      const next = rows.shift() ?? null;
      return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
    },
    onResult: (view, seq) => log.push(`result ${seq} ${view.status} ${String(view['output'] ?? '')}`.trim()),
    onEnd: (err) => log.push(err ? `end ${(err as Error).message}` : 'end'),
  });
  return { log, reads, follow, push: (e: ExecutionEvent) => push!(e) };
}

describe('followExecution (to the result, with the row as fallback)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('ends with the view a result event carries, reading no row', () => {
    const h = harness([]);
    h.push({ type: 'status', seq: 1, status: 'running' });
    h.push({
      type: 'result',
      seq: 2,
      status: 'completed',
      view: { executionId: 'e1', status: 'completed', output: 'hi' },
    });
    h.push({ type: 'output', seq: 3, stream: 'stdout', data: '' });
    expect(h.log).toEqual([
      'subscribed',
      'event status 1',
      'event result 2',
      'result 2 completed hi',
      'unsubscribed',
      'end',
    ]);
    expect(h.reads).toEqual([]);
  });

  it('reads the row for a result event without view, staying subscribed until it is out', async () => {
    const h = harness([{ executionId: 'e1', status: 'completed', output: 'big' }]);
    h.push({ type: 'result', seq: 5, status: 'completed' });
    expect(h.log).toEqual(['subscribed', 'event result 5', 'read result']);
    await vi.advanceTimersByTimeAsync(0);
    expect(h.log.slice(3)).toEqual(['result 5 completed big', 'unsubscribed', 'end']);
  });

  it('trusts the row, not a view of another execution', async () => {
    const h = harness([{ executionId: 'e1', status: 'timeout' }]);
    h.push({
      type: 'result',
      seq: 2,
      status: 'completed',
      view: { executionId: 'other', status: 'completed' },
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(h.log).toContain('result 2 timeout');
  });

  it('reads again a row that is not final yet after a result event', async () => {
    const h = harness([
      { executionId: 'e1', status: 'running' },
      { executionId: 'e1', status: 'running' },
      { executionId: 'e1', status: 'cancelled' },
    ]);
    h.push({ type: 'result', seq: 3, status: 'cancelled' });
    await vi.advanceTimersByTimeAsync(100);
    expect(h.reads).toEqual(['result', 'result', 'result']);
    expect(h.log.slice(-3)).toEqual(['result 3 cancelled', 'unsubscribed', 'end']);
  });

  it('ends without a result when the row of a result event cannot be read', async () => {
    const h = harness([null]);
    h.push({ type: 'result', seq: 3, status: 'completed' });
    await vi.advanceTimersByTimeAsync(0);
    expect(h.log).toEqual(['subscribed', 'event result 3', 'read result', 'unsubscribed', 'end']);
  });

  it('reads the row after a quiet spell, each event putting it off, and ends when it is final', async () => {
    const h = harness([
      { executionId: 'e1', status: 'running' },
      { executionId: 'e1', status: 'internal_error' },
    ]);
    await vi.advanceTimersByTimeAsync(600);
    h.push({ type: 'status', seq: 1, status: 'running' });
    await vi.advanceTimersByTimeAsync(600);
    expect(h.reads).toEqual([]);
    await vi.advanceTimersByTimeAsync(400);
    expect(h.reads).toEqual(['quiet']);
    await vi.advanceTimersByTimeAsync(1000);
    expect(h.log).toEqual([
      'subscribed',
      'event status 1',
      'read quiet',
      'read quiet',
      'result 0 internal_error',
      'unsubscribed',
      'end',
    ]);
  });

  it('ends with the error of a failed row read', async () => {
    const h = harness([new Error('db down')]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(h.log.slice(-2)).toEqual(['unsubscribed', 'end db down']);
  });

  it('after stop(), reads and delivers nothing more', async () => {
    const h = harness([{ executionId: 'e1', status: 'completed' }]);
    h.follow.stop();
    h.push({ type: 'status', seq: 1, status: 'running' });
    await vi.advanceTimersByTimeAsync(5000);
    expect(h.log).toEqual(['subscribed', 'unsubscribed']);
  });
});
