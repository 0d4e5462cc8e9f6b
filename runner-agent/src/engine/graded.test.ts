import { describe, expect, it } from 'vitest';
import { stepResult } from '../testing/results.js';
import { judgeTest, testReportBytes, testResultMessage, testStatus, type GradedTest } from './graded.js';

describe('testStatus', () => {
  const trimmed = { checker: { type: 'trimmed' as const } };
  it('checks the output of a program that exited 0', () => {
    expect(testStatus('completed', trimmed, Buffer.from('4\n'), Buffer.from('4  \n\n'))).toBe('accepted');
    expect(testStatus('completed', trimmed, Buffer.from('4\n'), Buffer.from('5\n'))).toBe('wrong_answer');
    expect(
      testStatus('completed', { checker: { type: 'exact' } }, Buffer.from('4\n'), Buffer.from('4')),
    ).toBe('wrong_answer');
  });

  it('keeps any other verdict of the run, whatever its output', () => {
    expect(testStatus('timeout', trimmed, Buffer.from('4'), Buffer.from('4'))).toBe('timeout');
    expect(testStatus('runtime_error', trimmed, Buffer.from('4'), Buffer.from('4'))).toBe('runtime_error');
    expect(testStatus('memory_limit', trimmed, Buffer.from(''), Buffer.from(''))).toBe('memory_limit');
  });
});

describe('testResultMessage', () => {
  const base: GradedTest = {
    index: 2,
    name: 't',
    status: 'accepted',
    run: stepResult({ cpuMs: 3, wallMs: 5, maxRssKb: 900 }),
    stdout: Buffer.alloc(testReportBytes + 10, 'a'),
    stderr: Buffer.from('warn'),
    stdoutTruncated: false,
    stderrTruncated: false,
    message: '',
  };

  it('caps the output it reports and says so', () => {
    const m = testResultMessage(base);
    expect(m.stdout.length).toBe(testReportBytes);
    expect(m.stdoutTruncated).toBe(true);
    expect(Buffer.from(m.stderr).toString()).toBe('warn');
    expect(m.stderrTruncated).toBe(false);
    expect(m).toMatchObject({
      index: 2,
      name: 't',
      status: 'accepted',
      exitCode: 0,
      wallMs: 5,
      cpuMs: 3,
      peakMemoryKb: 900,
    });
  });

  it('has no exit code for a run killed by a signal, nor for a skipped test', () => {
    expect(
      testResultMessage({ ...base, run: { ...base.run!, exit: -1, signal: 9 } }).exitCode,
    ).toBeUndefined();
    const skipped = testResultMessage({ ...base, status: 'skipped', run: undefined });
    expect(skipped.exitCode).toBeUndefined();
    expect(skipped.wallMs).toBe(0);
  });
});

describe('judgeTest', () => {
  const program = { type: 'program' as const, language: 'python', code: 'x' };
  const test = { name: 't', stdin: '', expectedOutput: Buffer.from('4\n').toString('base64') };

  it('asks a checker program only about a program that exited 0, and takes its answer', async () => {
    const asked: string[] = [];
    const check = async (_t: typeof test, actual: Buffer) => {
      asked.push(actual.toString());
      return { status: 'wrong_answer' as const, message: 'no' };
    };
    const judge = (outcome: Parameters<typeof judgeTest>[0]['outcome']) =>
      judgeTest({ outcome, checker: program, test, stdout: Buffer.from('5\n'), check });
    expect(await judge({ verdict: 'completed', message: '' })).toEqual({
      status: 'wrong_answer',
      message: 'no',
    });
    expect(
      await judge({ verdict: 'timeout', message: 'The program exceeded its time limit (1 s).' }),
    ).toEqual({ status: 'timeout', message: 'The program exceeded its time limit (1 s).' });
    expect(asked).toEqual(['5\n']);
  });

  it('applies a built-in checker itself', async () => {
    const outcome = { verdict: 'completed' as const, message: '' };
    const checker = { type: 'trimmed' as const };
    expect(await judgeTest({ outcome, checker, test, stdout: Buffer.from('4'), check: undefined })).toEqual({
      status: 'accepted',
      message: '',
    });
    expect(await judgeTest({ outcome, checker, test, stdout: Buffer.from('5'), check: undefined })).toEqual({
      status: 'wrong_answer',
      message: 'The output is not the expected output.',
    });
  });
});
