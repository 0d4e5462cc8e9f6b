import { createLogger, type ExecutionEvent } from '@muscode/common';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../errors.js';
import type { Streams } from '../../infra/streams.js';
import { createRecording, type Reported, type ReportedEvent } from './recording.js';
import type { ExecutionRepo, FinalResult } from './repo.js';

const result: FinalResult = {
  status: 'completed',
  exitCode: 0,
  signal: 0,
  wallMs: 5,
  cpuMs: 4,
  memoryKb: 100,
  stdout: Buffer.from('hi\n'),
  stderr: Buffer.alloc(0),
  stdoutTruncated: false,
  stderrTruncated: false,
  compileOutput: null,
  message: null,
  tests: null,
};

/**
 * The recorder's ordering rules, against stand-ins of the repo and the streams that log what
 * they were asked in order (the real writes are covered by tests/integration). `runningGate`
 * holds the `running` row write until released.
 */
function harness(opts: { stale?: boolean; appendCode?: number } = {}) {
  const calls: string[] = [];
  let release!: () => void;
  const runningGate = new Promise<void>((r) => (release = r));
  const repo = {
    async markRunning() {
      await runningGate;
      calls.push('row running');
      return true;
    },
    async finish(_id: string, _attempt: number, r: FinalResult) {
      calls.push(`row ${r.status}`);
      return null;
    },
  } as unknown as ExecutionRepo;
  const streams = {
    async appendReported(_id: string, at: { runnerSeq: number }, ev: ExecutionEvent | null) {
      calls.push(`event ${at.runnerSeq} ${ev?.type ?? 'none'}`);
      return ev?.type === 'result' ? (opts.appendCode ?? 0) : 1;
    },
    async appendEvent(_id: string, ev: ExecutionEvent) {
      calls.push(`event again ${ev.type}`);
    },
  } as unknown as Streams;
  const recording = createRecording({
    repo,
    streams,
    log: createLogger('test', 'silent'),
    checkAttempt: async () => (opts.stale ? 'stale' : 'owner'),
  });
  return { calls, release, recorder: recording.open() };
}

const msg = (seq: number, event: ReportedEvent, executionId = 'e1'): Reported => ({
  executionId,
  runnerId: 'r1',
  attempt: 1,
  seq,
  event,
});

describe('result recording', () => {
  it('streams output while the running row is written, and writes the result after it', async () => {
    const { calls, release, recorder } = harness();
    await recorder.record(msg(1, { type: 'started', queueMs: 3 }));
    await recorder.record(msg(2, { type: 'output', stream: 'stdout', data: Buffer.from('hi\n') }));
    expect(calls).toEqual(['event 1 status', 'event 2 output']);
    const finished = recorder.record(msg(3, { type: 'finished', result }));
    release();
    await finished;
    expect(await recorder.close()).toBe(3);
    expect(calls).toEqual([
      'event 1 status',
      'event 2 output',
      'row running',
      'row completed',
      'event 3 result',
    ]);
  });

  it('skips messages at or below the last seq (a resent stream)', async () => {
    const { calls, recorder } = harness();
    await recorder.record(msg(1, { type: 'seen' }));
    await recorder.record(msg(1, { type: 'seen' }));
    await recorder.record(msg(2, { type: 'seen' }));
    expect(await recorder.close()).toBe(2);
    expect(calls).toEqual(['event 1 none', 'event 2 none']);
  });

  it('reads an attempt the job queue does not back to its end and records nothing', async () => {
    const { calls, recorder } = harness({ stale: true });
    await recorder.record(msg(1, { type: 'output', stream: 'stdout', data: Buffer.from('x') }));
    await recorder.record(msg(2, { type: 'finished', result }));
    expect(await recorder.close()).toBe(2);
    expect(calls).toEqual([]);
  });

  it('refuses a second execution on one stream as a validation error', async () => {
    const { recorder } = harness();
    await recorder.record(msg(1, { type: 'seen' }));
    const err = await recorder.record(msg(2, { type: 'seen' }, 'e2')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).status).toBe(400);
  });
});
