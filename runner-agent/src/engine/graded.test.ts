import { describe, expect, it } from 'vitest';
import { testReportBytes, testResultMessage, testStatus, type GradedTest } from './graded.js';

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
    run: {
      step: 'run',
      exit: 0,
      signal: 0,
      cpuMs: 3,
      wallMs: 5,
      maxRssKb: 900,
      timeout: false,
      cpuLimit: false,
      outputLimit: false,
      cancelled: false,
      prepared: false,
    },
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
