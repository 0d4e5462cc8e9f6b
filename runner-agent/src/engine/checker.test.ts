import {
  checkerJobLimits,
  checkerLanguage,
  defaultJobLimits,
  loadLanguageManifest,
  type Job,
  type ProgramChecker,
} from '@muscode/common';
import { Verdict } from '@muscode/proto/runner/v1';
import { afterEach, describe, expect, it } from 'vitest';
import type { FakeLauncher } from '../testing/fake-driver.js';
import { createFakeEngine, finishedOf } from '../testing/fake-engine.js';
import { testJob } from '../testing/jobs.js';
import { stepResult } from '../testing/results.js';
import { checkerJob, checkerOutcome, firstLine } from './checker.js';
import type { ExecuteResult } from './collect.js';
import { runJob } from './job.js';

const manifest = loadLanguageManifest();
const b64 = (s: string) => Buffer.from(s).toString('base64');
const checker: ProgramChecker = { type: 'program', language: 'python', image: 'python', code: 'print(1)' };

const job = (over: Partial<Job> = {}): Job =>
  testJob({
    language: 'cpp',
    image: 'native',
    files: [{ path: 'main.cpp', content: 'int main() {}' }],
    mainFile: 'main.cpp',
    limits: defaultJobLimits(manifest),
    enqueuedAt: Date.now(),
    ...over,
  });

describe('checkerJob', () => {
  it("holds the checker's code and the test's three files, nothing of the submission", () => {
    const lang = checkerLanguage(manifest, checker)!;
    const limits = checkerJobLimits(manifest, lang);
    const test = { name: 't', stdin: b64('3\n'), expectedOutput: b64('6\n') };
    const j = job({ args: ['--secret'] });
    const cj = checkerJob({ job: j, checker, lang, limits, test, actual: Buffer.from('7\n') });
    expect(cj).toMatchObject({
      executionId: j.executionId,
      ownerId: 'u1',
      language: 'python',
      image: 'python',
      mainFile: 'main.py',
      args: [],
      stdin: '',
      interactive: false,
    });
    expect(cj.grading).toBeUndefined();
    expect(cj.files).toEqual([
      { path: 'main.py', content: 'print(1)' },
      { path: 'input.txt', content: b64('3\n'), encoding: 'base64' },
      { path: 'expected.txt', content: b64('6\n'), encoding: 'base64' },
      { path: 'actual.txt', content: b64('7\n'), encoding: 'base64' },
    ]);
    // Fixed wall and CPU time, the language's defaults otherwise, no artifacts.
    expect(cj.limits).toEqual({ ...defaultJobLimits(manifest, lang), timeoutMs: 10_000, cpuTimeMs: 10_000 });
  });
});

describe('checkerOutcome', () => {
  const step = stepResult();
  const result = (over: Partial<ExecuteResult>): ExecuteResult => ({
    verdict: 'completed',
    message: '',
    run: step,
    compile: undefined,
    stdout: Buffer.alloc(0),
    stderr: Buffer.alloc(0),
    compileOutput: Buffer.alloc(0),
    stdoutTruncated: false,
    stderrTruncated: false,
    peakMemoryKb: 0,
    reusable: false,
    detail: undefined,
    artifacts: undefined,
    ...over,
  });

  it('exit 0 accepts and exit 1 rejects, the first line of stdout the message', () => {
    expect(checkerOutcome(result({ stdout: Buffer.from('ok\r\nmore\n') }))).toEqual({
      status: 'accepted',
      message: 'ok',
    });
    expect(
      checkerOutcome(
        result({ verdict: 'runtime_error', run: { ...step, exit: 1 }, stdout: Buffer.from('off by one\nx') }),
      ),
    ).toEqual({ status: 'wrong_answer', message: 'off by one' });
    expect(checkerOutcome(result({ verdict: 'runtime_error', run: { ...step, exit: 1 } }))).toEqual({
      status: 'wrong_answer',
      message: 'The checker rejected the output.',
    });
  });

  it("any other end is the checker's failure: internal_error saying why", () => {
    expect(
      checkerOutcome(
        result({ verdict: 'runtime_error', run: { ...step, exit: 2 }, stdout: Buffer.from('hm') }),
      ),
    ).toEqual({ status: 'internal_error', message: 'The checker failed (exit code 2): hm' });
    expect(
      checkerOutcome(result({ verdict: 'runtime_error', run: { ...step, exit: -1, signal: 11 } })),
    ).toEqual({ status: 'internal_error', message: 'The checker failed (killed by signal 11).' });
    expect(
      checkerOutcome(
        result({
          verdict: 'timeout',
          message: 'The program exceeded its time limit (10 s).',
          run: undefined,
        }),
      ),
    ).toEqual({
      status: 'internal_error',
      message: 'The checker failed (The program exceeded its time limit (10 s).).',
    });
    expect(checkerOutcome(result({ verdict: 'internal_error', message: '', run: undefined }))).toEqual({
      status: 'internal_error',
      message: 'The checker failed (internal_error).',
    });
  });

  it('a checker that does not compile is fatal, with its compiler output', () => {
    expect(
      checkerOutcome(
        result({
          verdict: 'compile_error',
          run: undefined,
          compileOutput: Buffer.from('main.cpp:1: error\n'),
        }),
      ),
    ).toEqual({
      status: 'internal_error',
      message: 'The checker did not compile: main.cpp:1: error',
      fatal: true,
    });
  });

  it('caps the message', () => {
    expect(firstLine('x'.repeat(600))).toBe(`${'x'.repeat(500)}…`);
    expect(firstLine('')).toBe('');
  });
});

/**
 * A launcher for both sides: a graded submission (T) echoes each test's stdin; a checker (its
 * files in F frames) accepts `good`, rejects `bad` (exit 1) and crashes (exit 4) otherwise; a
 * checker with `fail` in its code does not compile.
 */
const filesOf = (setup: { type: string; payload: Buffer }[]) =>
  new Map(
    setup
      .filter((f) => f.type === 'F')
      .map((f) => {
        const nul = f.payload.indexOf(0);
        return [f.payload.subarray(0, nul).toString(), f.payload.subarray(nul + 1).toString()];
      }),
  );
const bothSides: FakeLauncher = (setup, io) => {
  if (setup.some((f) => f.type === 'T')) {
    let stdin = '';
    io.onFrame((f) => {
      if (f.type === 'N') stdin = '';
      if (f.type === 'I') stdin += f.payload.toString();
      if (f.type === 'E') {
        io.send('o', stdin);
        io.result({});
      }
      if (f.type === 'D') io.end();
    });
    return;
  }
  const files = filesOf(setup);
  if (files.get('main.cpp')?.includes('fail')) {
    io.send('c', 'main.cpp:1: error: fail\n');
    io.result({ step: 'compile', exit: 1 });
    return io.end();
  }
  const actual = files.get('actual.txt') ?? '';
  io.send('o', `judged ${files.get('input.txt')?.trim()} against ${files.get('expected.txt')?.trim()}\n`);
  io.result({ exit: actual.startsWith('good') ? 0 : actual.startsWith('bad') ? 1 : 4 });
  io.end();
};

const pools: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.stop()));
});

/** The fake engine with every image present (the checker's native one too). */
function setup() {
  const t = createFakeEngine({ launcher: bothSides, hasImage: () => true });
  pools.push(t.pool);
  return t;
}

function gradedJob(outputs: string[], code = 'print(1)', stopOnFirstFailure = false): Job {
  return job({
    language: 'python',
    image: 'python',
    files: [{ path: 'main.py', content: 'print(input())' }],
    mainFile: 'main.py',
    grading: {
      tests: outputs.map((o, i) => ({
        name: `t${i}`,
        stdin: b64(`${o}\n`),
        expectedOutput: b64(`secret${i}\n`),
      })),
      checker: { type: 'program', language: 'cpp', image: 'native', code },
      stopOnFirstFailure,
    },
  });
}

describe('runJob with a checker program', () => {
  it('runs the checker per test in a sandbox of its own; the submission never gets the expected output', async () => {
    const t = setup();
    await runJob(t.deps, gradedJob(['good', 'bad', 'crash']), 1);
    const fin = finishedOf(t.events);
    expect(fin.verdict).toBe(Verdict.COMPLETED);
    expect((fin.tests ?? []).map((x) => [x.status, x.message])).toEqual([
      ['accepted', 'judged good against secret0'],
      ['wrong_answer', 'judged bad against secret1'],
      ['internal_error', 'The checker failed (exit code 4): judged crash against secret2'],
    ]);
    // One submission sandbox, then one checker sandbox per test, each of the checker's image.
    expect(t.sandboxes.map((s) => s.spec.image)).toEqual([
      'muscode/sandbox-python:latest',
      'muscode/sandbox-native:latest',
      'muscode/sandbox-native:latest',
      'muscode/sandbox-native:latest',
    ]);
    const [submission, ...checkers] = t.sandboxes;
    expect([...filesOf(submission!.received).keys()]).toEqual(['main.py']);
    expect(submission!.received.some((f) => f.payload.toString().includes('secret'))).toBe(false);
    for (const c of checkers) {
      expect([...filesOf(c.received).keys()]).toEqual([
        'main.cpp',
        'input.txt',
        'expected.txt',
        'actual.txt',
      ]);
      expect(c.received.map((f) => f.type)).toEqual(['F', 'F', 'F', 'F', 'C', 'R', 'L', 'G', 'E']);
    }
  });

  it('a wrong answer stops the grading with stopOnFirstFailure; no checker runs for skipped tests', async () => {
    const t = setup();
    await runJob(t.deps, gradedJob(['bad', 'good'], 'ok', true), 1);
    expect((finishedOf(t.events).tests ?? []).map((x) => x.status)).toEqual(['wrong_answer', 'skipped']);
    expect(t.sandboxes).toHaveLength(2);
  });

  it('a checker that does not compile ends the execution internal_error, the rest skipped', async () => {
    const t = setup();
    await runJob(t.deps, gradedJob(['good', 'good'], 'fail'), 1);
    const fin = finishedOf(t.events);
    expect(fin.verdict).toBe(Verdict.INTERNAL_ERROR);
    expect(fin.message).toBe('The checker did not compile: main.cpp:1: error: fail');
    expect((fin.tests ?? []).map((x) => [x.status, x.message])).toEqual([
      ['internal_error', 'The checker did not compile: main.cpp:1: error: fail'],
      ['skipped', ''],
    ]);
    expect(t.sandboxes).toHaveLength(2);
  });
});
