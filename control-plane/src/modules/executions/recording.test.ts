import { createLogger, type ExecutionEvent } from '@muscode/common';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../errors.js';
import type { Streams } from '../../infra/streams.js';
import { createRecording, type Reported, type ReportedEvent } from './recording.js';
import type { ExecutionRepo, FinalResult, RecordedTest } from './repo.js';

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
    hiddenTests: async () => [],
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

describe('hidden tests', () => {
  const test = (name: string): RecordedTest => ({
    name,
    status: 'wrong_answer',
    exitCode: 0,
    signal: 0,
    time: 10,
    cpuTime: 8,
    memory: 2048,
    stdout: Buffer.from('secret input\n').toString('base64'),
    stderr: Buffer.from('err').toString('base64'),
    stdoutTruncated: false,
    stderrTruncated: false,
    message: 'The output is not the expected output.',
  });

  function hiddenHarness(hidden: number[]) {
    const events: ExecutionEvent[] = [];
    const written: FinalResult[] = [];
    const repo = {
      hiddenTests: async () => hidden,
      async finish(_id: string, _attempt: number, r: FinalResult) {
        written.push(r);
        return null;
      },
    } as unknown as ExecutionRepo;
    const streams = {
      async appendReported(_id: string, _at: unknown, ev: ExecutionEvent | null) {
        if (ev) events.push(ev);
        return 1;
      },
    } as unknown as Streams;
    const recording = createRecording({ repo, streams, log: createLogger('test', 'silent') });
    return { events, written, recorder: recording.open() };
  }

  it('withholds a hidden test output from its event, the row and the live output', async () => {
    const { events, written, recorder } = hiddenHarness([1]);
    await recorder.record(msg(1, { type: 'output', stream: 'compile', data: Buffer.from('warning') }));
    await recorder.record(msg(2, { type: 'output', stream: 'stdout', data: Buffer.from('secret input\n') }));
    await recorder.record(msg(3, { type: 'test', index: 0, test: test('visible') }));
    await recorder.record(msg(4, { type: 'test', index: 1, test: test('hidden') }));
    await recorder.record(msg(5, { type: 'finished', result: { ...result, tests: [test('a'), test('b')] } }));
    await recorder.close();
    // Compile output still goes live; the run's output does not.
    expect(events.filter((e) => e.type === 'output').map((e) => e.type === 'output' && e.stream)).toEqual([
      'compile',
    ]);
    const tests = events.flatMap((e) => (e.type === 'test' ? [e.test] : []));
    expect(tests[0]).toMatchObject({ name: 'visible', output: 'secret input\n', error: 'err' });
    expect(tests[1]).toEqual({
      name: 'hidden',
      status: 'wrong_answer',
      time: 0.01,
      cpuTime: 0.008,
      memory: 2,
      exitCode: 0,
      signal: null,
      signalName: null,
      hidden: true,
    });
    expect(written[0]!.tests![0]).toMatchObject({ stdout: test('a').stdout });
    expect(written[0]!.tests![1]).toMatchObject({ stdout: '', stderr: '', message: null, hidden: true });
  });

  it('leaves an execution without hidden tests as it is', async () => {
    const { events, written, recorder } = hiddenHarness([]);
    await recorder.record(msg(1, { type: 'output', stream: 'stdout', data: Buffer.from('4\n') }));
    await recorder.record(msg(2, { type: 'finished', result: { ...result, tests: [test('a')] } }));
    await recorder.close();
    expect(events.map((e) => e.type)).toEqual(['output', 'result']);
    expect(written[0]!.tests![0]).toEqual(test('a'));
  });
});
